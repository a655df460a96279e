//! Tests of fitting, scoring, explanations and serialisation on tiny frames.

use rapport_core::scoring::{
    BehaviourFeatures, CustomerEvent, Factor, Frame, LabelSpec, Prediction, TrainSpec, Value,
    sigmoid,
};
use rapport_core::{ScoreError, Scorer};

use crate::*;

/// 40 customers: age (numeric, some missing), plan (categorical), active (bool), churn.
fn fixture() -> Frame {
    let plans = ["basic", "pro", "basic", "team"];
    let rows = (0..40)
        .map(|i| {
            let age = if i % 7 == 3 {
                Value::Missing
            } else {
                Value::Text(format!("{}", 20 + (i * 13) % 45))
            };
            let plan = plans[i % 4];
            let active = i % 3 != 0;
            // Churn leans on basic plans, inactive customers and youth, with exceptions.
            let score =
                i32::from(plan == "basic") + i32::from(!active) + i32::from((i * 13) % 45 < 15);
            let churn = if (score >= 2) != (i % 11 == 5) {
                "Yes"
            } else {
                "No"
            };
            vec![
                Value::Text(format!("c{i}")),
                age,
                Value::Text(plan.into()),
                Value::Bool(active),
                Value::Text(churn.into()),
            ]
        })
        .collect();
    let columns = ["id", "age", "plan", "active", "churn"]
        .map(String::from)
        .to_vec();
    Frame::new(columns, rows).unwrap()
}

fn spec() -> TrainSpec {
    let mut spec = TrainSpec::new(LabelSpec::rule("churn", "Yes"));
    spec.exclude.push("id".into());
    spec
}

fn params() -> LogisticParams {
    LogisticParams {
        min_frequency: 2,
        ..LogisticParams::default()
    }
}

fn fit() -> LogisticModel {
    LogisticModel::fit(&fixture(), &spec(), &params()).unwrap()
}

fn row(values: &[(&str, Value)]) -> std::collections::BTreeMap<String, Value> {
    values
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn factor<'a>(p: &'a Prediction, feature: &str) -> &'a Factor {
    p.factors.iter().find(|f| f.feature == feature).unwrap()
}

#[test]
fn contributions_plus_intercept_equal_the_logit() {
    let model = fit();
    let frame = fixture();
    let x = model.pipeline().transform_frame(&frame).unwrap();
    let predictions = Logistic.predict_frame(&model, &frame).unwrap();
    for (prediction, xi) in predictions.iter().zip(x.rows()) {
        let sum: f64 = prediction.factors.iter().map(|f| f.contribution).sum();
        assert!((prediction.intercept + sum - prediction.logit).abs() < 1e-12);
        // The same logit straight from coefficients and encoded columns.
        let direct: f64 = model.intercept()
            + xi.iter()
                .zip(model.coefficients())
                .map(|(x, w)| x * w)
                .sum::<f64>();
        assert!((direct - prediction.logit).abs() < 1e-12);
        assert!((sigmoid(direct) - prediction.probability).abs() < 1e-12);
        // One factor per original feature, largest first.
        let names: Vec<&str> = prediction
            .factors
            .iter()
            .map(|f| f.feature.as_str())
            .collect();
        assert_eq!(names.len(), 3);
        for feature in ["age", "plan", "active"] {
            assert!(names.contains(&feature));
        }
        let sizes: Vec<f64> = prediction
            .factors
            .iter()
            .map(|f| f.contribution.abs())
            .collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]));
    }
}

#[test]
fn missing_numbers_are_imputed_with_the_train_median_and_flagged() {
    let model = fit();
    let encoder = match &model.pipeline().features()[0].encoder {
        Encoder::Numeric(e) => e.clone(),
        Encoder::Categorical(_) => panic!("age should be numeric"),
    };
    // Present train ages, computed independently of the encoder.
    let mut ages: Vec<f64> = (0..40)
        .filter(|i| i % 7 != 3)
        .map(|i| (20 + (i * 13) % 45) as f64)
        .collect();
    ages.sort_by(f64::total_cmp);
    assert_eq!(ages.len(), 34);
    assert_eq!(encoder.median, (ages[16] + ages[17]) / 2.0);
    assert!(encoder.indicator);
    let names = model.pipeline().column_names();
    assert_eq!(names[..2], ["age".to_string(), "age (missing)".to_string()]);
    let w = model.coefficients();
    let p = model
        .predict(&row(&[
            ("plan", Value::Text("pro".into())),
            ("active", Value::Bool(true)),
        ]))
        .unwrap();
    let age = factor(&p, "age");
    assert_eq!(age.value, Value::Missing);
    let expected = w[0] * (encoder.median - encoder.mean) / encoder.std + w[1];
    assert!((age.contribution - expected).abs() < 1e-12);
}

#[test]
fn unseen_and_rare_categories_use_the_other_bucket() {
    let frame = fixture();
    // "team" appears 10 times: with min_frequency 11 it becomes "(other)".
    let rare = LogisticParams {
        min_frequency: 11,
        ..LogisticParams::default()
    };
    let model = LogisticModel::fit(&frame, &spec(), &rare).unwrap();
    let names = model.pipeline().column_names();
    let other = names.iter().position(|n| n == "plan=(other)").unwrap();
    assert!(!names.contains(&"plan=team".to_string()));
    let base = [("age", Value::Number(30.0)), ("active", Value::Bool(false))];
    let unseen = row(&[
        base[0].clone(),
        base[1].clone(),
        ("plan", Value::Text("enterprise".into())),
    ]);
    let team = row(&[
        base[0].clone(),
        base[1].clone(),
        ("plan", Value::Text("team".into())),
    ]);
    let (unseen, team) = (
        model.predict(&unseen).unwrap(),
        model.predict(&team).unwrap(),
    );
    assert_eq!(
        factor(&unseen, "plan").contribution,
        model.coefficients()[other]
    );
    assert_eq!(unseen.probability, team.probability);
    // Without rare levels an unseen level has no column and contributes nothing.
    let p = fit()
        .predict(&row(&[("plan", Value::Text("enterprise".into()))]))
        .unwrap();
    assert_eq!(factor(&p, "plan").contribution, 0.0);
    assert_eq!(factor(&p, "plan").value, Value::Text("enterprise".into()));
}

#[test]
fn refuses_one_class_no_rows_non_finite_and_missing_labels() {
    let frame = fixture();
    let mut all_no = TrainSpec::new(LabelSpec::rule("churn", "Maybe"));
    all_no.exclude.push("id".into());
    assert!(matches!(
        LogisticModel::fit(&frame, &all_no, &params()),
        Err(ScoreError::OneClass { .. })
    ));
    let empty = frame.select_rows(&[]);
    assert!(matches!(
        LogisticModel::fit(&empty, &spec(), &params()),
        Err(ScoreError::NoRows)
    ));
    let mut rows: Vec<Vec<Value>> = (0..frame.len())
        .map(|i| frame.row_values(i).unwrap().to_vec())
        .collect();
    rows[5][1] = Value::Number(f64::NAN);
    let nan = Frame::new(frame.columns().to_vec(), rows.clone()).unwrap();
    let err = LogisticModel::fit(&nan, &spec(), &params()).unwrap_err();
    assert!(matches!(err, ScoreError::NonFinite { row: 5, .. }), "{err}");
    assert!(!err.is_internal());
    rows[5][1] = Value::Number(1.0);
    rows[8][4] = Value::Missing;
    let unlabelled = Frame::new(frame.columns().to_vec(), rows).unwrap();
    assert!(matches!(
        LogisticModel::fit(&unlabelled, &spec(), &params()),
        Err(ScoreError::MissingLabel { row: 8, .. })
    ));
    let mut unknown = spec();
    unknown.exclude.push("nope".into());
    assert!(matches!(
        LogisticModel::fit(&frame, &unknown, &params()),
        Err(ScoreError::UnknownColumn(_))
    ));
}

#[test]
fn serialisation_round_trip_keeps_pipeline_and_predictions() {
    let model = fit();
    let bytes = Logistic.to_bytes(&model).unwrap();
    let back = Logistic.from_bytes(&bytes).unwrap();
    assert_eq!(back, model);
    let frame = fixture();
    assert_eq!(
        Logistic.predict_frame(&back, &frame).unwrap(),
        Logistic.predict_frame(&model, &frame).unwrap()
    );
    assert!(matches!(
        Logistic.from_bytes(&bytes[..bytes.len() / 2]),
        Err(ScoreError::BadModelBytes(_))
    ));
    // The head is the engine name (length-prefixed) then the format version.
    let mut other_version = bytes.clone();
    other_version["logistic".len() + 1] = 99;
    let err = Logistic.from_bytes(&other_version).unwrap_err();
    assert!(err.to_string().contains("format 99"), "{err}");
    let mut other_engine = bytes.clone();
    other_engine[1..9].copy_from_slice(b"item_ite");
    let err = Logistic.from_bytes(&other_engine).unwrap_err();
    assert!(err.to_string().contains("`item_ite` model"), "{err}");
}

#[test]
fn solution_is_the_minimum_of_the_c_scaled_objective() {
    // At the optimum of sum(log loss) + 1/(2C) ||w||^2 the gradient vanishes:
    // X^T (p - y) + w / C = 0 and sum(p - y) = 0 (intercept not penalised).
    for c in [0.1, 1.0, 10.0] {
        let tight = LogisticParams {
            c,
            tolerance: 1e-8,
            ..params()
        };
        let model = LogisticModel::fit(&fixture(), &spec(), &tight).unwrap();
        let frame = fixture();
        let x = model.pipeline().transform_frame(&frame).unwrap();
        let p = Logistic.predict_frame(&model, &frame).unwrap();
        let residual: Vec<f64> = (0..frame.len())
            .map(|i| {
                let y = model.label().of_row(&frame.row(i).unwrap(), i).unwrap();
                p[i].probability - f64::from(u8::from(y))
            })
            .collect();
        assert!(residual.iter().sum::<f64>().abs() < 1e-6);
        for (j, w) in model.coefficients().iter().enumerate() {
            let g: f64 = x
                .column(j)
                .iter()
                .zip(&residual)
                .map(|(x, r)| x * r)
                .sum::<f64>()
                + w / c;
            assert!(g.abs() < 1e-6, "c={c} column {j} gradient {g}");
        }
    }
}

#[test]
fn refuses_non_finite_values_at_predict_time() {
    let model = fit();
    let err = model
        .predict(&row(&[("age", Value::Number(f64::INFINITY))]))
        .unwrap_err();
    assert!(matches!(err, ScoreError::NonFinite { .. }), "{err}");
    let err = model
        .predict(&row(&[("age", Value::Text("old".into()))]))
        .unwrap_err();
    assert!(matches!(err, ScoreError::NotNumeric { .. }), "{err}");
}

#[test]
fn behaviour_features_feed_the_model() {
    let mut frame = fixture();
    // Churners file tickets; others buy.
    let events: Vec<CustomerEvent> = (0..40)
        .map(|i| {
            let churned = frame.row_values(i).unwrap()[4] == Value::Text("Yes".into());
            CustomerEvent {
                customer: format!("c{i}"),
                kind: if churned && i % 9 != 2 {
                    "support_ticket"
                } else {
                    "purchase"
                }
                .into(),
                value: Some(10.0),
                rating: None,
                nps: None,
                occurred_at: 1_000_000 - i as i64 * 3_600,
            }
        })
        .collect();
    BehaviourFeatures::compute(&events, 1_000_000)
        .join(&mut frame, "id")
        .unwrap();
    let model = LogisticModel::fit(&frame, &spec(), &params()).unwrap();
    let p = model.predict(&frame.row(0).unwrap()).unwrap();
    assert_eq!(p.factors.len(), 3 + BehaviourFeatures::columns().len());
    let tickets = factor(&p, "support_tickets");
    assert!(tickets.contribution != 0.0);
    let names = model.pipeline().column_names();
    let w = model.coefficients()[names.iter().position(|n| n == "support_tickets").unwrap()];
    assert!(w > 0.0, "tickets should raise churn, coefficient {w}");
}

#[test]
fn balanced_class_weight_only_moves_the_intercept() {
    let plain = fit();
    let balanced = LogisticParams {
        class_weight: ClassWeight::Balanced,
        ..params()
    };
    let weighted = LogisticModel::fit(&fixture(), &spec(), &balanced).unwrap();
    assert_eq!(weighted.coefficients(), plain.coefficients());
    let stats = plain.stats();
    let shift = ((stats.rows - stats.positives) as f64 / stats.positives as f64).ln();
    assert!((weighted.intercept() - plain.intercept() - shift).abs() < 1e-12);
}

#[test]
fn learns_the_direction_of_the_signal() {
    let model = fit();
    let names = model.pipeline().column_names();
    let coef = |name: &str| model.coefficients()[names.iter().position(|n| n == name).unwrap()];
    assert!(coef("plan=basic") > coef("plan=pro"));
    assert!(coef("active") < 0.0);
    assert_eq!(model.label().positive, "Yes");
}
