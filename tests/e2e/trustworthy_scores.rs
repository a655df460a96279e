//! Scores people can trust: calibrated probabilities with a tier, the
//! model's evidence (calibration, test reliability, permutation importance,
//! mutual information, per-group fairness), and features left out of a
//! model on request.

use serde_json::{Value, json};

use crate::helpers::{Backend, expect_problem, spawn_app};

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"))
}

/// The tier the model's thresholds give `probability`.
fn tier_of(probability: f64, tiers: &Value) -> &'static str {
    if probability >= number(&tiers["q75"]) {
        "very_high"
    } else if probability >= number(&tiers["q50"]) {
        "high"
    } else if probability >= number(&tiers["q25"]) {
        "medium"
    } else {
        "low"
    }
}

async fn a_scorer_reports_its_evidence_and_scores_carry_tiers(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalogue = app.seed_catalogue().await;
    let params = json!({"label": "churn=Yes", "exclude_features": "contract",
                        "protected": "contract", "class_weight": "balanced"});
    let model_id = app.train_and_activate("logistic", params).await;
    let model = app.model(&model_id).await;
    let metrics = &model["metrics"];
    // 30 labelled customers: 24 train (scored out of fold to calibrate), 6 test.
    assert_eq!(metrics["train_rows"], 24, "{metrics}");
    assert_eq!(metrics["calibration"]["rows"], 24);
    let method = metrics["calibration"]["method"].as_str().unwrap();
    assert!(
        ["identity", "platt", "isotonic"].contains(&method),
        "{method}"
    );
    for part in ["raw", "calibrated"] {
        let test = &metrics["test"][part];
        assert_eq!(test["rows"], 6, "{test}");
        assert!((0.0..=1.0).contains(&number(&test["brier"])), "{test}");
        assert!((0.0..=1.0).contains(&number(&test["ece"])), "{test}");
        assert_eq!(test["bins"].as_array().unwrap().len(), 10, "{test}");
    }
    // The excluded attribute is no feature, yet its groups are compared.
    let features = |key: &str| -> Vec<String> {
        metrics[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["feature"].as_str().unwrap().to_owned())
            .collect()
    };
    for key in ["permutation_importance", "mutual_information"] {
        let names = features(key);
        assert!(
            names.contains(&"tenure_months".to_owned()),
            "{key}: {names:?}"
        );
        assert!(!names.contains(&"contract".to_owned()), "{key}: {names:?}");
    }
    let fairness = &metrics["fairness"][0];
    assert_eq!(fairness["attribute"], "contract");
    let groups = fairness["groups"].as_array().unwrap();
    let counted: u64 = groups.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 6, "{fairness}");
    let tiers = &metrics["tiers"];
    assert!(number(&tiers["q25"]) <= number(&tiers["q50"]), "{tiers}");
    assert!(number(&tiers["q50"]) <= number(&tiers["q75"]), "{tiers}");

    let mut seen_tiers = Vec::new();
    for customer in &catalogue.customers {
        let scored = app.scores(customer).await;
        let score = &scored["scores"][0];
        let (probability, logit) = (number(&score["probability"]), number(&score["logit"]));
        let uncalibrated = number(&score["uncalibrated_probability"]);
        assert!((uncalibrated - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-12);
        if method == "identity" {
            assert_eq!(probability, uncalibrated);
        }
        assert_eq!(score["tier"], tier_of(uncalibrated, tiers), "{score}");
        let factors = score["factors"].as_array().unwrap();
        assert!(
            factors.iter().all(|f| f["feature"] != "contract"),
            "{score}"
        );
        seen_tiers.push(score["tier"].as_str().unwrap().to_owned());
    }
    seen_tiers.sort();
    seen_tiers.dedup();
    assert_eq!(
        seen_tiers.len(),
        4,
        "quartiles split the customers: {seen_tiers:?}"
    );
}

async fn the_label_cannot_be_excluded_and_protected_attributes_must_exist(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_catalogue().await;
    let response = app
        .post(
            "/engines/logistic/train",
            &json!({"params": {"label": "churn=Yes", "exclude_features": "tenure_months,churn"}}),
        )
        .await;
    expect_problem(response, 422, "validation_failed").await;

    let job_id = app
        .queue_training(
            "logistic",
            &json!({"params": {"label": "churn=Yes", "protected": "planet"}}),
        )
        .await;
    let job = loop {
        let job = app.fetch(&format!("/jobs/{job_id}")).await;
        if job["status"] == "failed" || job["status"] == "succeeded" {
            break job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].to_string().contains("planet"), "{job}");
}

/// A tree exports a rule per leaf that together cover every training row;
/// other engines have none.
async fn a_tree_exports_its_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_catalogue().await;
    let tree = app
        .train_and_activate("tree", json!({"label": "churn=Yes"}))
        .await;
    let out = app.fetch(&format!("/models/{tree}/rules")).await;
    assert_eq!(out["model_id"], tree.as_str());
    let rules = out["rules"].as_array().unwrap();
    assert!(!rules.is_empty(), "{out}");
    let covered: u64 = rules.iter().map(|r| r["customers"].as_u64().unwrap()).sum();
    assert_eq!(covered, 30, "the served tree saw all 30 customers: {out}");
    for rule in rules {
        assert!(
            (0.0..=1.0).contains(&number(&rule["probability"])),
            "{rule}"
        );
        assert!(rule["text"].as_str().unwrap().contains("churn"), "{rule}");
    }
    let page = app.get(&format!("/models/{tree}/report")).await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Rules (one per leaf)"),
        "the report lists the rules"
    );

    let logistic = app
        .train_and_activate("logistic", json!({"label": "churn=Yes"}))
        .await;
    expect_problem(
        app.get(&format!("/models/{logistic}/rules")).await,
        409,
        "no_rules",
    )
    .await;
}

/// Boosted trees and the single tree are assessed and scored like logistic.
async fn every_scorer_is_assessed_and_scores_with_tiers(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalogue = app.seed_catalogue().await;
    for engine in ["gbdt", "tree"] {
        let params = json!({"label": "churn=Yes", "protected": "contract"});
        let model_id = app.train_and_activate(engine, params).await;
        let metrics = app.model(&model_id).await["metrics"].clone();
        assert_eq!(metrics["calibration"]["rows"], 24, "{engine}: {metrics}");
        assert_eq!(metrics["fairness"][0]["attribute"], "contract", "{engine}");
        assert!(metrics["tiers"]["q50"].is_number(), "{engine}: {metrics}");
        assert!(
            !metrics["permutation_importance"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
    let scored = app.scores(&catalogue.customers[0]).await;
    let scores = scored["scores"].as_array().unwrap();
    let engines: Vec<&str> = scores
        .iter()
        .map(|s| s["engine"].as_str().unwrap())
        .collect();
    assert_eq!(engines, ["gbdt", "tree"], "{scored}");
    for score in scores {
        let tier = score["tier"].as_str().unwrap();
        assert!(
            ["very_high", "high", "medium", "low"].contains(&tier),
            "{score}"
        );
        let logit = number(&score["logit"]);
        let uncalibrated = number(&score["uncalibrated_probability"]);
        assert!(
            (uncalibrated - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-12,
            "{score}"
        );
    }
}

crate::on_every_backend!(
    a_scorer_reports_its_evidence_and_scores_carry_tiers,
    the_label_cannot_be_excluded_and_protected_attributes_must_exist,
    a_tree_exports_its_rules,
    every_scorer_is_assessed_and_scores_with_tiers,
);
