//! Searches end to end: on generated data where a known engine or parameter
//! wins, and with the registered engines.

use std::collections::BTreeMap;

use rapport_core::{
    DataNeed, Dataset, DynRecommender, EngineDescription, EngineError, Interaction, ParamSpec,
    Params, Recommendation, Recommender, Search,
};
use rapport_engines::registry;

use super::*;

/// Recommends the lowest item indices (`pick=low`), the highest (`high`) or
/// nothing (`none`, the default); `fail=true` is refused.
struct Picky;

impl Recommender for Picky {
    type Model = (usize, bool);

    fn name(&self) -> &'static str {
        "picky"
    }

    fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: "picky".into(),
            summary: "test".into(),
            params: vec![
                ParamSpec::choice("pick", "none", &["none", "low", "high"], "order")
                    .searched(Search::Choices),
                ParamSpec::bool("fail", false, "refuse").searched(Search::Choices),
            ],
            needs: vec![DataNeed::Interactions],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<(usize, bool), EngineError> {
        let values = params.resolve(&Recommender::describe(self).params)?;
        if values.bool("fail")? {
            return Err(EngineError::invalid_param("fail", "refused"));
        }
        let pick = values.text("pick")?;
        Ok((
            if pick == "none" { 0 } else { data.n_items },
            pick == "high",
        ))
    }

    fn recommend(
        &self,
        &(n, high): &(usize, bool),
        _customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        let mut items: Vec<u32> = (0..n as u32).filter(|i| !exclude.contains(i)).collect();
        if high {
            items.reverse();
        }
        Ok(items
            .into_iter()
            .take(k)
            .map(|item| Recommendation {
                item,
                score: 0.0,
                reasons: vec![],
            })
            .collect())
    }

    fn similar_items(
        &self,
        _model: &(usize, bool),
        _item: u32,
        _k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        Ok(vec![])
    }
}

fn log(
    rows: impl IntoIterator<Item = (u32, u32, i64)>,
    n_customers: usize,
    n_items: usize,
) -> Dataset {
    Dataset {
        n_customers,
        n_items,
        interactions: rows
            .into_iter()
            .map(|(customer, item, timestamp)| Interaction {
                customer,
                item,
                weight: 1.0,
                timestamp,
                basket: None,
            })
            .collect(),
        items: vec![],
    }
}

/// Twelve customers touch items 0..=7, then 19 and 18: test is {19, 18},
/// validation {6, 7}; a thirteenth touches 6, 7, 18, 19 only (all train), so
/// that those are candidates. `pick=low` lists 6 and 7 first, `high` last:
/// the search must choose `low` on validation.
fn staircase() -> Dataset {
    let rows = (0..12u32)
        .flat_map(|c| {
            (0..8u32)
                .chain([19, 18])
                .enumerate()
                .map(move |(t, item)| (c, item, t as i64))
        })
        .chain([6, 7, 18, 19].map(|item| (12, item, 0)));
    log(rows, 13, 20)
}

fn no_progress(_: usize, _: usize) {}

#[test]
fn the_validation_winner_is_chosen_and_refused_trials_are_recorded() {
    let options = TuneOptions {
        trials: 12,
        ..TuneOptions::default()
    };
    let report = tune(&[&Picky], &staircase(), &options, None, &no_progress).unwrap();
    assert_eq!(report.trials.len(), 12);
    assert!(report.trials[0].params.is_empty());
    assert_eq!(
        report.winner.params.get("pick").map(String::as_str),
        Some("low")
    );
    assert_eq!(report.validation.ndcg, 1.0);
    assert_eq!((report.inner_train_rows, report.validation_rows), (76, 24));
    let refused: Vec<_> = report.trials.iter().filter(|t| t.error.is_some()).collect();
    assert!(!refused.is_empty());
    assert!(
        refused
            .iter()
            .all(|t| t.params["fail"] == "true" && t.validation.is_none())
    );
    let best = report
        .trials
        .iter()
        .filter_map(|t| t.validation.map(|m| m.ndcg))
        .fold(0.0, f64::max);
    assert_eq!(best, report.validation.ndcg);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["winner"]["engine"], "picky");
    assert_eq!(json["metric"], "ndcg");
}

#[test]
fn a_baseline_is_scored_on_validation_and_compared() {
    let data = staircase();
    let options = TuneOptions {
        trials: 6,
        threads: 1,
        ..TuneOptions::default()
    };
    let high = Params::new().with("pick", "high");
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let progress = |done: usize, total: usize| {
        assert!(done <= total && total == 8);
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let report = tune(&[&Picky], &data, &options, Some((&Picky, &high)), &progress).unwrap();
    assert_eq!(calls.into_inner(), 8);
    let baseline = report.baseline.unwrap();
    assert!(baseline.validation.ndcg < report.validation.ndcg);
    assert!(baseline.decision.promote, "{}", baseline.decision.reason);
    assert_eq!(
        score_baseline(&Picky, &high, &data, &options).unwrap(),
        baseline.validation
    );
    let bad = Params::new().with("pick", "middle");
    assert!(
        tune(
            &[&Picky],
            &data,
            &options,
            Some((&Picky, &bad)),
            &no_progress
        )
        .is_err()
    );
    let all_fail = Params::new().with("fail", true);
    let err = score_baseline(&Picky, &all_fail, &data, &options).unwrap_err();
    assert!(err.is_caller_error());
}

/// Three groups of customers, each touching only its own ten items in a
/// customer-specific order: item neighbours find the group, a global
/// popularity list mostly does not.
fn groups() -> Dataset {
    let rows = (0..60u32).flat_map(|c| {
        let group = c % 3;
        (0..8u32).map(move |t| (c, group * 10 + (t * 7 + c) % 10, i64::from(t)))
    });
    log(rows, 60, 30)
}

fn recommenders(names: &[&str]) -> Vec<&'static dyn DynRecommender> {
    names
        .iter()
        .map(|n| registry().recommender(n).unwrap())
        .collect()
}

#[test]
fn the_engine_that_fits_the_data_wins() {
    let engines = recommenders(&["popularity", "item_item"]);
    let options = TuneOptions {
        trials: 6,
        ..TuneOptions::default()
    };
    let report = tune(&engines, &groups(), &options, None, &no_progress).unwrap();
    assert_eq!(report.winner.engine, "item_item");
    assert_eq!(report.test.engine, "item_item");
    assert_eq!(report.test.curve.len(), rapport_core::eval::CURVE_K);
}

type Outcome = Vec<(String, BTreeMap<String, String>, Option<f64>)>;

fn outcome(report: &TuneReport) -> Outcome {
    report
        .trials
        .iter()
        .map(|t| {
            (
                t.engine.clone(),
                t.params.clone(),
                t.validation.map(|m| m.ndcg),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_trials_whatever_the_threads() {
    let engines = recommenders(&["ease", "item_item", "rp3beta"]);
    let data = groups();
    let run = |seed, threads| {
        let options = TuneOptions {
            trials: 9,
            seed,
            threads,
            ..TuneOptions::default()
        };
        tune(&engines, &data, &options, None, &no_progress).unwrap()
    };
    let (a, b, c) = (run(42, 1), run(42, 2), run(7, 2));
    assert_eq!(outcome(&a), outcome(&b));
    assert_eq!(a.winner, b.winner);
    assert_ne!(outcome(&a), outcome(&c));
    // Defaults first, one per engine, in the order given.
    let first: Vec<_> = a.trials[..3].iter().map(|t| t.engine.as_str()).collect();
    assert_eq!(first, ["ease", "item_item", "rp3beta"]);
    assert!(a.trials[..3].iter().all(|t| t.params.is_empty()));
    assert!(a.trials[3..].iter().all(|t| !t.params.is_empty()));
}

#[test]
fn auto_keeps_the_engines_the_data_can_feed() {
    let all: Vec<&dyn DynRecommender> = registry()
        .engines()
        .filter_map(|e| match e {
            rapport_engines::Engine::Recommender(r) => Some(r),
            _ => None,
        })
        .collect();
    let names =
        |data: &Dataset| -> Vec<&str> { candidates(&all, data).iter().map(|e| e.name()).collect() };
    let mut data = groups();
    assert_eq!(
        names(&data),
        [
            "popularity",
            "item_item",
            "user_user",
            "ease",
            "als",
            "rp3beta"
        ]
    );
    data.items = vec![Default::default(); data.n_items];
    data.interactions[0].basket = Some(0);
    assert!(names(&data).contains(&"content") && names(&data).contains(&"baskets"));
    assert!(tune(&[], &data, &TuneOptions::default(), None, &no_progress).is_err());
    // Six interactions each: two to test, four to train, none to validate.
    data.interactions.retain(|x| x.timestamp < 6);
    let err = tune(
        &[&Picky],
        &data,
        &TuneOptions::default(),
        None,
        &no_progress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("no validation part"), "{err}");
}
