//! Rapport's engines by name: every recommender (ranks items for a customer),
//! every scorer (scores customers) and the segmenter (groups customers),
//! with their descriptions, so callers choose an engine at run time and never
//! name an engine crate.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::sync::OnceLock;

use rapport_core::{DynRecommender, DynScorer, EngineDescription};
pub use rapport_segments::Segments;
pub use rapport_tree::LeafRule;

/// Whether an engine ranks items or scores customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Implements [`rapport_core::Recommender`].
    Recommender,
    /// Implements [`rapport_core::Scorer`].
    Scorer,
    /// Groups customers into segments ([`Segments`]).
    Segmenter,
}

/// A registered engine of either kind.
#[derive(Clone, Copy)]
pub enum Engine<'r> {
    /// A recommendation engine.
    Recommender(&'r dyn DynRecommender),
    /// A scoring engine.
    Scorer(&'r dyn DynScorer),
    /// The segmentation engine.
    Segmenter(&'r Segments),
}

impl Engine<'_> {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Engine::Recommender(_) => Kind::Recommender,
            Engine::Scorer(_) => Kind::Scorer,
            Engine::Segmenter(_) => Kind::Segmenter,
        }
    }

    /// Its registry name.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Recommender(e) => e.name(),
            Engine::Scorer(e) => e.name(),
            Engine::Segmenter(_) => Segments::NAME,
        }
    }

    /// Its description.
    pub fn describe(&self) -> EngineDescription {
        match self {
            Engine::Recommender(e) => e.describe(),
            Engine::Scorer(e) => e.describe(),
            Engine::Segmenter(e) => e.describe(),
        }
    }
}

impl std::fmt::Debug for Engine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Engine")
            .field(&self.kind())
            .field(&self.name())
            .finish()
    }
}

/// The engines, by name.
pub struct Registry {
    recommenders: Vec<Box<dyn DynRecommender>>,
    scorers: Vec<Box<dyn DynScorer>>,
    segmenter: Segments,
}

impl Registry {
    fn new() -> Self {
        Self {
            recommenders: vec![
                Box::new(rapport_popularity::Popularity),
                Box::new(rapport_item_item::ItemItem),
                Box::new(rapport_user_user::UserUser),
                Box::new(rapport_ease::Ease),
                Box::new(rapport_als::Als),
                Box::new(rapport_rp3beta::Rp3Beta),
                Box::new(rapport_content::Content),
                Box::new(rapport_baskets::Baskets),
            ],
            scorers: vec![
                Box::new(rapport_logistic::Logistic),
                Box::new(rapport_gbdt::Gbdt),
                Box::new(rapport_tree::DecisionTree),
            ],
            segmenter: Segments,
        }
    }

    /// The recommender registered as `name`.
    pub fn recommender(&self, name: &str) -> Option<&dyn DynRecommender> {
        self.recommenders
            .iter()
            .find(|e| e.name() == name)
            .map(|e| e.as_ref())
    }

    /// The scorer registered as `name`.
    pub fn scorer(&self, name: &str) -> Option<&dyn DynScorer> {
        self.scorers
            .iter()
            .find(|e| e.name() == name)
            .map(|e| e.as_ref())
    }

    /// The engine of either kind registered as `name`.
    pub fn engine(&self, name: &str) -> Option<Engine<'_>> {
        self.engines().find(|e| e.name() == name)
    }

    /// The segmentation engine.
    pub fn segmenter(&self) -> &Segments {
        &self.segmenter
    }

    /// Every engine: the recommenders, then the scorers, each in
    /// registration order, then the segmenter.
    pub fn engines(&self) -> impl Iterator<Item = Engine<'_>> {
        let recommenders = self
            .recommenders
            .iter()
            .map(|e| Engine::Recommender(e.as_ref()));
        let scorers = self.scorers.iter().map(|e| Engine::Scorer(e.as_ref()));
        recommenders
            .chain(scorers)
            .chain(std::iter::once(Engine::Segmenter(&self.segmenter)))
    }

    /// The registered names, in the order of [`Registry::engines`].
    pub fn names(&self) -> Vec<&'static str> {
        self.engines().map(|e| e.name()).collect()
    }

    /// Every engine's kind and description, in the order of [`Registry::engines`].
    pub fn descriptions(&self) -> Vec<(Kind, EngineDescription)> {
        self.engines().map(|e| (e.kind(), e.describe())).collect()
    }
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::new)
}

/// The rule of every leaf of a `tree` model (conditions, probability,
/// training rows, text); none for a model of another engine.
pub fn leaf_rules(model: &rapport_core::FittedScorer) -> Option<Vec<LeafRule>> {
    model
        .model::<rapport_tree::TreeModel>()
        .map(rapport_tree::TreeModel::rules)
}

#[cfg(test)]
mod tests {
    use rapport_core::scoring::{Frame, LabelSpec, TrainSpec, Value};
    use rapport_core::{Dataset, Interaction, Params};

    use super::*;

    #[test]
    fn every_engine_is_found_by_its_name_and_kind() {
        let names = registry().names();
        assert_eq!(
            names,
            [
                "popularity",
                "item_item",
                "user_user",
                "ease",
                "als",
                "rp3beta",
                "content",
                "baskets",
                "logistic",
                "gbdt",
                "tree",
                "segments"
            ]
        );
        for (kind, description) in registry().descriptions() {
            let name = description.name.as_str();
            let engine = registry().engine(name).unwrap();
            assert_eq!((engine.kind(), engine.name()), (kind, name));
            assert!(!description.params.is_empty(), "{name} publishes no params");
            assert!(!description.needs.is_empty(), "{name} names no data");
            match kind {
                Kind::Recommender => {
                    assert_eq!(registry().recommender(name).unwrap().name(), name);
                    assert!(registry().scorer(name).is_none());
                }
                Kind::Scorer => {
                    assert_eq!(registry().scorer(name).unwrap().describe().name, name);
                    assert!(registry().recommender(name).is_none());
                }
                Kind::Segmenter => {
                    assert_eq!(registry().segmenter().describe().name, name);
                    assert!(registry().recommender(name).is_none());
                    assert!(registry().scorer(name).is_none());
                }
            }
        }
        assert!(registry().engine("xgboost").is_none());
    }

    /// Every recommender publishes search ranges, inside its parameters'
    /// bounds, and never on an operational parameter.
    #[test]
    fn search_ranges_are_published_within_bounds() {
        use rapport_core::{ParamKind, Search};
        let operational = [
            "seed",
            "threads",
            "max_items",
            "max_itemsets",
            "max_rules",
            "kinds",
        ];
        for engine in registry().engines() {
            let Engine::Recommender(recommender) = engine else {
                continue;
            };
            let params = recommender.describe().params;
            assert!(
                params.iter().any(|p| p.search.is_some()),
                "{} publishes no search range",
                engine.name()
            );
            for spec in params.iter().filter(|p| p.search.is_some()) {
                let name = format!("{}.{}", engine.name(), spec.name);
                assert!(!operational.contains(&spec.name.as_str()), "{name}");
                match spec.search {
                    Some(Search::Uniform { low, high })
                    | Some(Search::LogUniform { low, high }) => {
                        assert!(low < high, "{name}");
                        assert!(spec.min.is_none_or(|m| low >= m), "{name}");
                        assert!(spec.max.is_none_or(|m| high <= m), "{name}");
                    }
                    Some(Search::Choices) => assert!(
                        matches!(spec.kind, ParamKind::Choice(_) | ParamKind::Bool),
                        "{name}"
                    ),
                    None => {}
                }
                if let Some(Search::LogUniform { low, .. }) = spec.search {
                    assert!(low > 0.0, "{name}");
                }
            }
        }
    }

    #[test]
    fn a_model_handed_to_another_engine_is_an_internal_error() {
        let data = Dataset {
            n_customers: 1,
            n_items: 2,
            interactions: vec![Interaction {
                customer: 0,
                item: 1,
                weight: 1.0,
                timestamp: 0,
                basket: None,
            }],
            items: vec![],
        };
        let popularity = registry().recommender("popularity").unwrap();
        let model = popularity.fit(&data, &Params::new()).unwrap();
        let item_item = registry().recommender("item_item").unwrap();
        let err = item_item.recommend(&model, 0, 1, &[]).unwrap_err();
        assert!(!err.is_caller_error(), "{err}");
        let bytes = popularity.to_bytes(&model).unwrap();
        assert!(item_item.from_bytes(&bytes).is_err());
        let back = popularity.from_bytes(&bytes).unwrap();
        assert_eq!(popularity.recommend(&back, 0, 1, &[]).unwrap()[0].item, 1);
    }

    /// Twenty customers whose churn follows their plan, with exceptions.
    fn customers() -> Frame {
        let rows = (0..20)
            .map(|i| {
                let plan = ["basic", "pro"][i % 2];
                let churned = (plan == "basic") != (i % 7 == 0);
                vec![
                    Value::Number(i as f64),
                    Value::Text(plan.into()),
                    Value::Text(if churned { "Yes" } else { "No" }.into()),
                ]
            })
            .collect();
        let columns = ["tenure", "plan", "churn"].map(String::from).to_vec();
        Frame::new(columns, rows).unwrap()
    }

    #[test]
    fn every_scorer_model_round_trips_through_the_dyn_interface() {
        let spec = TrainSpec::new(LabelSpec::rule("churn", "Yes"));
        let params = Params::new().with("min_frequency", 1);
        let frame = customers();
        for engine in registry().engines() {
            let Engine::Scorer(scorer) = engine else {
                continue;
            };
            let model = scorer.fit(&frame, &spec, &params).unwrap();
            assert_eq!(model.engine(), scorer.name());
            let bytes = scorer.to_bytes(&model).unwrap();
            let back = scorer.from_bytes(&bytes).unwrap();
            assert_eq!(back.label(), model.label());
            assert_eq!(back.stats(), model.stats());
            let row = frame.row(3).unwrap();
            assert_eq!(
                scorer.predict(&back, &row).unwrap(),
                scorer.predict(&model, &row).unwrap()
            );
            assert!(scorer.from_bytes(&bytes[..bytes.len() / 2]).is_err());
            let recommender_bytes = {
                let popularity = registry().recommender("popularity").unwrap();
                let model = popularity.fit(&Dataset::default(), &Params::new()).unwrap();
                popularity.to_bytes(&model).unwrap()
            };
            let err = scorer.from_bytes(&recommender_bytes).unwrap_err();
            assert!(err.to_string().contains("`popularity` model"), "{err}");
        }
    }
}
