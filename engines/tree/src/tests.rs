//! Tests of fitting, path explanations, rules and serialisation on a
//! hand-made table.

use std::collections::BTreeMap;

use rapport_core::scoring::{Frame, LabelSpec, TrainSpec, Value};
use rapport_core::{Params, ScoreError, Scorer};

use crate::*;

/// 60 customers: contract cycles over three levels, tenure over 0..=19;
/// exactly the month-to-month customers with tenure under 6.5 churn (7 of them).
fn frame(missing_tenure: bool) -> Frame {
    let rows = (0..60)
        .map(|i| {
            let contract = ["Month-to-month", "One year", "Two year"][i % 3];
            let tenure = (i % 20) as f64;
            let churn = contract == "Month-to-month" && tenure < 6.5;
            let tenure = if missing_tenure && i % 10 == 9 {
                Value::Missing
            } else {
                Value::Number(tenure)
            };
            vec![
                Value::Text(contract.into()),
                tenure,
                Value::Text(if churn { "Yes" } else { "No" }.into()),
            ]
        })
        .collect();
    let columns = ["Contract", "tenure", "churn"].map(String::from).to_vec();
    Frame::new(columns, rows).unwrap()
}

fn spec() -> TrainSpec {
    TrainSpec::new(LabelSpec::rule("churn", "Yes"))
}

fn params() -> Params {
    Params::new()
        .with("min_samples_leaf", 1)
        .with("min_frequency", 1)
}

fn fit(frame: &Frame) -> TreeModel {
    DecisionTree.fit(frame, &spec(), &params()).unwrap()
}

fn customer(contract: &str, tenure: Value) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("Contract".to_owned(), Value::Text(contract.into())),
        ("tenure".to_owned(), tenure),
    ])
}

#[test]
fn rules_read_as_the_hand_computed_tree() {
    // Root: the contract split leaves Gini 2 * 7 * 13 / 20 = 9.1, below the
    // tenure split's 2 * 7 * 14 / 21 = 9.33; then tenure < 6.5 separates the rest.
    let model = fit(&frame(false));
    let rules = model.rules();
    let texts: Vec<&str> = rules.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(rules.len(), 3, "{texts:?}");
    // 7 positives of 7: (7 + 1) / (7 + 2) = 89 %.
    assert!(
        texts
            .contains(&"Contract = Month-to-month AND tenure < 6.5 → 89 % churn=Yes (7 customers)"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Contract ≠ Month-to-month → 2 % churn=Yes (40 customers)"),
        "{texts:?}"
    );
    assert!(
        texts
            .contains(&"Contract = Month-to-month AND tenure ≥ 6.5 → 7 % churn=Yes (13 customers)"),
        "{texts:?}"
    );
    assert_eq!(rules.iter().map(|r| r.customers).sum::<u32>(), 60);
    let young = rules.iter().find(|r| r.customers == 7).unwrap();
    assert_eq!(
        young.conditions[1].test,
        Test::Range {
            min: None,
            max: Some(6.5),
            or_missing: false
        }
    );
    assert_eq!(
        young.conditions[0].test,
        Test::In(vec!["Month-to-month".into()])
    );
}

#[test]
fn the_path_explains_the_logit_exactly() {
    let model = fit(&frame(false));
    let p = DecisionTree
        .predict(&model, &customer("Month-to-month", Value::Number(3.0)))
        .unwrap();
    // Root: 7 positives of 60, logit ln(8 / 54); leaf ln(8 / 1).
    assert!((p.intercept - (8.0f64 / 54.0).ln()).abs() < 1e-12);
    assert!((p.logit - 8.0f64.ln()).abs() < 1e-12);
    let sum: f64 = p.factors.iter().map(|f| f.contribution).sum();
    assert!((p.intercept + sum - p.logit).abs() < 1e-12);
    // Contract: from the root to the month-to-month node (8 of 20: ln(8 / 14)).
    let contract = p.factors.iter().find(|f| f.feature == "Contract").unwrap();
    assert!((contract.contribution - ((8.0f64 / 14.0).ln() - (8.0f64 / 54.0).ln())).abs() < 1e-12);
    // Off the path, a feature contributes nothing.
    let other = DecisionTree
        .predict(&model, &customer("Two year", Value::Number(3.0)))
        .unwrap();
    let tenure = other
        .factors
        .iter()
        .find(|f| f.feature == "tenure")
        .unwrap();
    assert_eq!(tenure.contribution, 0.0);
}

#[test]
fn missing_values_follow_a_learned_side_and_have_their_rule() {
    let model = fit(&frame(true));
    let row = customer("Month-to-month", Value::Missing);
    let p = DecisionTree.predict(&model, &row).unwrap();
    let rule = model.rule_of(&row).unwrap().unwrap();
    assert!((rule.probability - p.probability).abs() < 1e-12);
    let texts: Vec<String> = model.rules().into_iter().map(|r| r.text).collect();
    assert!(texts.iter().any(|t| t.contains("or missing")), "{texts:?}");
    let entropy = DecisionTree
        .fit(
            &frame(true),
            &spec(),
            &params().with("criterion", "entropy"),
        )
        .unwrap();
    assert!(entropy.rules().len() >= 3);
}

#[test]
fn one_class_is_refused_and_models_round_trip() {
    let rows = (0..10)
        .map(|i| {
            vec![
                Value::Text("a".into()),
                Value::Number(f64::from(i)),
                Value::Text("No".into()),
            ]
        })
        .collect();
    let columns = ["Contract", "tenure", "churn"].map(String::from).to_vec();
    let one = Frame::new(columns, rows).unwrap();
    assert!(matches!(
        DecisionTree.fit(&one, &spec(), &params()),
        Err(ScoreError::OneClass { .. })
    ));
    let model = fit(&frame(true));
    let back = DecisionTree
        .from_bytes(&DecisionTree.to_bytes(&model).unwrap())
        .unwrap();
    assert_eq!(back, model);
    assert_eq!(back.rules(), model.rules());
}
