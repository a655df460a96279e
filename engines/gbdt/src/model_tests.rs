//! Tests of boosting, contributions, missing values, categories,
//! determinism and serialisation on small generated frames.

use std::collections::BTreeMap;

use rapport_core::scoring::{Frame, LabelSpec, TrainSpec, Value};
use rapport_core::{Params, ScoreError, Scorer};

use crate::*;

/// A linear congruential generator, for reproducible fixtures.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `rows` customers: `age` (numeric, missing one time in six, and missing
/// customers churn more), `plan` (four levels, `a` and `c` churn, not ordered),
/// `active` (bool) and noise; churn drawn from the resulting probability.
fn fixture(rows: usize, seed: u64) -> Frame {
    let mut rng = Lcg(seed);
    let data = (0..rows)
        .map(|_| {
            let age = 18.0 + (rng.next() * 60.0).floor();
            let missing = rng.next() < 1.0 / 6.0;
            let plan = ["a", "b", "c", "d"][(rng.next() * 4.0) as usize];
            let active = rng.next() < 0.5;
            let mut logit = -1.0 + if missing { 1.5 } else { (40.0 - age) / 15.0 };
            logit += if plan == "a" || plan == "c" {
                1.5
            } else {
                -1.0
            };
            logit += if active { -0.8 } else { 0.4 };
            let churn = rng.next() < 1.0 / (1.0 + (-logit).exp());
            vec![
                if missing {
                    Value::Missing
                } else {
                    Value::Number(age)
                },
                Value::Text(plan.into()),
                Value::Bool(active),
                Value::Number(rng.next()),
                Value::Text(if churn { "Yes" } else { "No" }.into()),
            ]
        })
        .collect();
    let columns = ["age", "plan", "active", "noise", "churn"]
        .map(String::from)
        .to_vec();
    Frame::new(columns, data).unwrap()
}

fn spec() -> TrainSpec {
    TrainSpec::new(LabelSpec::rule("churn", "Yes"))
}

fn fit(frame: &Frame, params: &Params) -> GbdtModel {
    Gbdt.fit(frame, &spec(), params).unwrap()
}

fn row(values: &[(&str, Value)]) -> BTreeMap<String, Value> {
    values
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn contributions_add_up_to_the_raw_margin() {
    let frame = fixture(600, 1);
    let model = fit(&frame, &Params::new());
    assert!(model.trees().len() > 5, "{} trees", model.trees().len());
    let mut worst = 0.0f64;
    for (i, r) in frame.iter().enumerate() {
        let p = Gbdt.predict(&model, &r).unwrap();
        let sum: f64 = p.intercept + p.factors.iter().map(|f| f.contribution).sum::<f64>();
        let margin = model.margin(&r).unwrap();
        worst = worst
            .max((sum - margin).abs())
            .max((p.logit - margin).abs());
        assert_eq!(p.factors.len(), 4, "row {i}");
    }
    assert!(worst < 1e-9, "worst {worst}");
    // The intercept is the mean training margin of no known feature: a
    // customer with nothing known gets contributions that still add up.
    let empty = Gbdt.predict(&model, &row(&[])).unwrap();
    assert!((empty.logit - model.margin(&row(&[])).unwrap()).abs() < 1e-9);
}

#[test]
fn probabilities_without_explanations_match_the_predictions() {
    let frame = fixture(300, 2);
    let model = fit(&frame, &Params::new());
    let fast = Gbdt.probabilities(&model, &frame).unwrap();
    let full = Gbdt.predict_frame(&model, &frame).unwrap();
    assert_eq!(fast.len(), 300);
    for (p, q) in fast.iter().zip(&full) {
        assert!(
            (p - q.probability).abs() < 1e-12,
            "{p} vs {}",
            q.probability
        );
    }
}

#[test]
fn missing_values_and_categories_are_learned_natively() {
    let model = fit(&fixture(2000, 2), &Params::new());
    let p = |age: Value, plan: &str| {
        let r = row(&[
            ("age", age),
            ("plan", Value::Text(plan.into())),
            ("active", Value::Bool(true)),
        ]);
        Gbdt.predict(&model, &r).unwrap().probability
    };
    // Missing ages churn like the young, not like the median age.
    assert!(p(Value::Missing, "b") > p(Value::Number(60.0), "b") + 0.1);
    // `a` and `c` churn, `b` and `d` do not: no order of the levels separates them.
    let old = || Value::Number(50.0);
    assert!(p(old(), "a") > p(old(), "b") + 0.05);
    assert!(p(old(), "c") > p(old(), "d") + 0.05);
    assert!(p(old(), "c") > p(old(), "b") + 0.05);
    // An unseen level goes to the rare bin and is scored, not refused.
    assert!(p(old(), "zzz").is_finite());
    let age = Gbdt
        .predict(&model, &row(&[("age", Value::Missing)]))
        .unwrap()
        .factors
        .into_iter()
        .find(|f| f.feature == "age")
        .unwrap();
    assert!(age.contribution > 0.0 && age.value == Value::Missing);
}

#[test]
fn early_stopping_keeps_fewer_trees_on_noise() {
    let rows = (0..400)
        .map(|i| {
            let y = (i * 7919) % 3 == 0;
            vec![Value::Number(f64::from(i % 17)), Value::Bool(y)]
        })
        .collect();
    let frame = Frame::new(vec!["x".into(), "y".into()], rows).unwrap();
    let spec = TrainSpec::new(LabelSpec::rule("y", "true"));
    let model = Gbdt.fit(&frame, &spec, &Params::new()).unwrap();
    assert!(model.trees().len() < 100, "{} trees", model.trees().len());
    assert!(model.validation_loss().is_some());
    assert_eq!(model.stats().rows, 400);
    // The validation part is every fifth row at 0.2, from the fifth on.
    let (boosting, validation) = carve(10, 0.2);
    assert_eq!(validation, [4, 9]);
    assert_eq!(boosting.len(), 8);
}

#[test]
fn one_class_is_refused() {
    let rows = (0..30)
        .map(|i| vec![Value::Number(f64::from(i)), Value::Text("No".into())])
        .collect();
    let frame = Frame::new(vec!["x".into(), "churn".into()], rows).unwrap();
    let err = Gbdt.fit(&frame, &spec(), &Params::new()).unwrap_err();
    assert!(matches!(err, ScoreError::OneClass { .. }), "{err}");
    let empty = Frame::new(vec!["x".into(), "churn".into()], vec![]).unwrap();
    assert!(matches!(
        Gbdt.fit(&empty, &spec(), &Params::new()),
        Err(ScoreError::NoRows)
    ));
}

#[test]
fn models_round_trip_and_bad_bytes_are_refused() {
    let frame = fixture(300, 3);
    let model = fit(&frame, &Params::new());
    let bytes = Gbdt.to_bytes(&model).unwrap();
    let back = Gbdt.from_bytes(&bytes).unwrap();
    assert_eq!(back, model);
    assert_eq!(
        Gbdt.predict_frame(&back, &frame).unwrap(),
        Gbdt.predict_frame(&model, &frame).unwrap()
    );
    assert!(Gbdt.from_bytes(&bytes[..bytes.len() - 3]).is_err());
}

#[test]
fn a_seed_makes_subsampled_fits_reproducible() {
    let frame = fixture(400, 4);
    let params = |seed: u64| Params::new().with("subsample", 0.6).with("seed", seed);
    let a = fit(&frame, &params(5));
    assert_eq!(a, fit(&frame, &params(5)));
    assert_ne!(a.trees(), fit(&frame, &params(6)).trees());
    assert_eq!(fit(&frame, &Params::new()), fit(&frame, &Params::new()));
}

#[test]
fn a_non_numeric_value_in_a_numeric_column_names_its_row() {
    let model = fit(&fixture(200, 5), &Params::new());
    let bad = row(&[("age", Value::Text("old".into()))]);
    assert!(matches!(
        Gbdt.predict(&model, &bad),
        Err(ScoreError::NotNumeric { .. })
    ));
}
