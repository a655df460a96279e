//! The `popularity` engine: items ranked by their summed interaction weights,
//! optionally decayed exponentially with age. It needs no history, so it is
//! also the fallback for cold customers.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use rapport_core::DataNeed;
use rapport_core::data::Dataset;
use rapport_core::matrix::{InteractionMatrix, MatrixOptions};
use rapport_core::ranking::{Exclusion, rank_order};
use rapport_core::{EngineDescription, EngineError, Params, Recommendation, Recommender, Search};
use serde::{Deserialize, Serialize};

/// The popularity engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Popularity;

/// A fitted popularity model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopularityModel {
    /// Summed (decayed) weight per item.
    scores: Vec<f64>,
    /// Every item, most popular first (ties by index).
    ranked: Vec<u32>,
}

impl PopularityModel {
    fn list(&self, k: usize, excluded: &Exclusion) -> Vec<Recommendation> {
        self.ranked
            .iter()
            .filter(|&&i| !excluded.contains(i))
            .take(k)
            .map(|&item| Recommendation {
                item,
                score: self.scores.get(item as usize).copied().unwrap_or(0.0),
                reasons: Vec::new(),
            })
            .collect()
    }
}

impl Recommender for Popularity {
    type Model = PopularityModel;

    fn name(&self) -> &'static str {
        "popularity"
    }

    fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: self.name().into(),
            summary: "Most interacted-with items: summed interaction weights, optionally \
                      decayed with age; the same list for everyone, and the cold-start fallback"
                .into(),
            params: MatrixOptions::param_specs()
                .into_iter()
                .map(|spec| match spec.name.as_str() {
                    // Recency matters on most catalogues; how much, the data says.
                    "half_life_days" => spec.searched(Search::LogUniform {
                        low: 1.0,
                        high: 3650.0,
                    }),
                    _ => spec,
                })
                .collect(),
            needs: vec![DataNeed::Interactions],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<PopularityModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        let scores: Vec<f64> = (0..data.n_items as u32)
            .map(|i| matrix.item_column(i).1.iter().sum())
            .collect();
        let mut pairs: Vec<(u32, f64)> = scores
            .iter()
            .copied()
            .enumerate()
            .map(|(i, s)| (i as u32, s))
            .collect();
        pairs.sort_unstable_by(rank_order);
        let ranked = pairs.into_iter().map(|(i, _)| i).collect();
        Ok(PopularityModel { scores, ranked })
    }

    /// Any customer, known or not, gets the same list: reasons are empty
    /// because nothing personal contributed.
    fn recommend(
        &self,
        model: &PopularityModel,
        _customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        Ok(model.list(k, &Exclusion::new(model.scores.len(), exclude)))
    }

    /// Popularity knows no similarity: the most popular other items.
    /// The popular items are the same whatever the item.
    fn knows_item_similarity(&self) -> bool {
        false
    }

    fn similar_items(
        &self,
        model: &PopularityModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        if item as usize >= model.scores.len() {
            return Err(EngineError::UnknownItem(item));
        }
        Ok(model.list(k, &Exclusion::new(model.scores.len(), &[item])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::Interaction;
    use rapport_core::testing::{check_contract, tiny_dataset};

    #[test]
    fn contract() {
        check_contract(&Popularity, &[("half_life_days", "-1"), ("binary", "x")]);
    }

    #[test]
    fn counts_rank_with_ties_by_index() {
        // Counts on the tiny data: item 1 = 4, item 0 = 2, items 2 and 3 = 1, item 4 = 0.
        let model = Popularity.fit(&tiny_dataset(), &Params::new()).unwrap();
        let list = Popularity.recommend(&model, 3, 5, &[]).unwrap();
        let got: Vec<(u32, f64)> = list.iter().map(|r| (r.item, r.score)).collect();
        assert_eq!(got, vec![(1, 4.0), (0, 2.0), (2, 1.0), (3, 1.0), (4, 0.0)]);
        let binary = Popularity
            .fit(&tiny_dataset(), &Params::new().with("binary", true))
            .unwrap();
        assert_eq!(
            Popularity.recommend(&binary, 0, 1, &[]).unwrap()[0].score,
            3.0
        );
    }

    #[test]
    fn decay_favours_recent_items() {
        let day = 86_400;
        let at = |item, t| Interaction {
            customer: 0,
            item,
            weight: 1.0,
            timestamp: t,
            basket: None,
        };
        // Item 0: two old interactions (10 days before the newest); item 1: one recent.
        let data = Dataset {
            n_customers: 1,
            n_items: 2,
            interactions: vec![at(0, 0), at(0, 0), at(1, 10 * day)],
            items: vec![],
        };
        let plain = Popularity.fit(&data, &Params::new()).unwrap();
        assert_eq!(Popularity.recommend(&plain, 0, 1, &[]).unwrap()[0].item, 0);
        let decayed = Popularity
            .fit(&data, &Params::new().with("half_life_days", 2))
            .unwrap();
        let list = Popularity.recommend(&decayed, 0, 2, &[]).unwrap();
        assert_eq!(list[0].item, 1);
        // Two interactions five half-lives old: 2 / 32.
        assert!((list[1].score - 0.0625).abs() < 1e-12);
    }
}
