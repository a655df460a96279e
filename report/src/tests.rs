//! Whole pages rendered from hand-written model JSON.

use serde_json::{Value, json};

use super::render_html;

fn bins(shift: f64) -> Value {
    json!([
        {"lower": 0.0, "upper": 0.5, "count": 40, "mean_predicted": 0.2 + shift, "observed_rate": 0.25},
        {"lower": 0.5, "upper": 1.0, "count": 10, "mean_predicted": 0.7 + shift, "observed_rate": 0.6},
        {"lower": 0.9, "upper": 1.0, "count": 0, "mean_predicted": null, "observed_rate": null}
    ])
}

fn curves() -> Value {
    json!({
        "roc": [{"fpr": 0.0, "tpr": 0.0, "threshold": null},
                {"fpr": 0.5, "tpr": 0.75, "threshold": 0.4},
                {"fpr": 1.0, "tpr": 1.0, "threshold": 0.0}],
        "precision_recall": [{"recall": 0.0, "precision": 1.0, "threshold": null},
                             {"recall": 1.0, "precision": 0.2, "threshold": 0.0}],
        "average_precision": 0.55,
        "gains": [
            {"decile": 1, "rows": 100, "positives": 60, "share_of_rows": 0.5, "gain": 0.75, "lift": 1.5, "cumulative_lift": 1.5},
            {"decile": 2, "rows": 100, "positives": 20, "share_of_rows": 1.0, "gain": 1.0, "lift": 0.5, "cumulative_lift": 1.0}
        ]
    })
}

fn fairness() -> Value {
    json!([{"attribute": "gender", "threshold": 0.5, "groups": [
                {"group": "f", "count": 120, "positive_rate": 0.2, "mean_score": 0.21, "roc_auc": 0.8,
                 "ece": 0.02, "predicted_positive_rate": 0.25, "ratio_to_highest": 1.0, "flagged": false},
                {"group": "m", "count": 80, "positive_rate": 0.2, "mean_score": 0.18, "roc_auc": null,
                 "ece": 0.04, "predicted_positive_rate": 0.15, "ratio_to_highest": 0.6, "flagged": true}
            ], "flagged_groups": ["m"]}])
}

fn scorer() -> Value {
    let mut model = json!({
        "id": "0190-scorer", "engine": "logistic", "kind": "scorer",
        "params": {"label": "churned", "l2": 0.1}, "active": true,
        "created_at": "2026-12-01T10:00:00Z",
        "metrics": {
            "engine": "logistic", "label": "churned", "train_rows": 800, "test_rows": 200,
            "train_positives": 160, "test_positives": 40, "model_columns": 12,
            "roc_auc": 0.8125, "accuracy": 0.85, "log_loss": 0.41, "fit_seconds": 0.02,
            "objective": "log_loss", "skipped_rows": 3,
            "top_features": [
                {"feature": "<b>tenure</b>", "mean_abs_contribution": 0.9},
                {"feature": "orders", "mean_abs_contribution": 0.4}
            ],
            "calibration": {"method": "platt", "reason": "beats the raw log loss",
                "cross_fitted_log_loss": {"identity": 0.45, "platt": 0.42, "isotonic": 0.43}, "rows": 800},
            "test": {
                "raw": {"rows": 200, "brier": 0.14, "log_loss": 0.44, "ece": 0.06, "bins": bins(0.05)},
                "calibrated": {"rows": 200, "brier": 0.13, "log_loss": 0.41, "ece": 0.03, "bins": bins(0.0)}
            },
            "tiers": {"q25": 0.1, "q50": 0.2, "q75": 0.4},
            "permutation_importance": [
                {"feature": "orders", "mean_drop": 0.02, "std_drop": 0.01},
                {"feature": "<b>tenure</b>", "mean_drop": 0.08, "std_drop": 0.02}
            ],
            "mutual_information": [{"feature": "region", "mutual_information": 0.031, "levels": 4}],
        }
    });
    model["metrics"]["curves"] = curves();
    model["metrics"]["fairness"] = fairness();
    model
}

fn recommender() -> Value {
    let curve: Vec<Value> = (1..=20)
        .map(|k| {
            let k = f64::from(k);
            json!({"k": k, "customers": 50, "precision": 0.4 / k, "recall": 0.02 * k,
                   "ndcg": 0.3, "map": 0.2, "coverage": 0.01 * k})
        })
        .collect();
    json!({
        "id": "0190-rec", "engine": "item_item", "params": {}, "active": false,
        "created_at": "2026-12-02T08:00:00Z",
        "metrics": {
            "engine": "item_item",
            "metrics": {"k": 10, "customers": 50, "precision": 0.04, "recall": 0.2,
                        "ndcg": 0.3, "map": 0.2, "coverage": 0.1},
            "train_rows": 900, "test_rows": 100, "train_items": 300, "fit_secs": 0.5, "score_secs": 0.1,
            "curve": curve,
            "popularity_bias": {"top_items": 3, "top_share": 0.35, "mean_percentile": 82.5},
            "fallback": {"engine": "popularity", "half_life_days": 30}
        }
    })
}

/// What every page must be: a whole document, offline and script-free.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert_eq!(
        html.matches("<svg").count(),
        html.matches("role=\"img\"").count()
    );
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
}

#[test]
fn scorer_page_has_its_seven_charts_and_tables() {
    let html = render_html(&scorer());
    assert_self_contained(&html);
    assert_eq!(html.matches("<svg").count(), 7);
    for title in [
        "ROC curve",
        "Precision-recall curve",
        "Reliability diagram",
        "Cumulative gains",
        "Lift by decile",
        "Permutation importance",
        "Mean |contribution| of the top features",
    ] {
        assert!(html.contains(&format!("<title>{title}</title>")), "{title}");
    }
    // The plot spans x 60..460 and y 270..30 over 0..1: (0.5, 0.75) is at (260, 90).
    assert!(html.contains("points=\"60,270 260,90 460,30\""));
    // Gains start at the origin: (0, 0), (0.5, 0.75), (1, 1).
    assert!(html.contains("points=\"60,270 260,90 460,30\"><title>gains</title>"));
    assert!(html.contains("&lt;b&gt;tenure&lt;/b&gt;") && !html.contains("<b>tenure"));
    assert!(html.contains("<td>ROC AUC</td><td>0.8125</td>"));
    assert!(html.contains("<td>Brier score, calibrated</td><td>0.13</td>"));
    assert!(html.contains("<td>Calibration method</td><td>platt</td>"));
    assert!(html.contains("<td>Tier threshold q75</td><td>0.4</td>"));
    assert!(html.contains("<td>Model id</td><td>0190-scorer</td>"));
    assert!(html.contains("<td>l2</td><td>0.1</td>"));
    // Group m is flagged, f is not; m's missing AUC is noted.
    assert!(html.contains("<tr class=\"flagged\"><td>m</td><td>80</td>"));
    assert_eq!(html.matches("below four-fifths</td>").count(), 1);
    assert!(html.contains("<td>0.04</td><td>0.15</td><td>0.6</td>"));
    assert!(html.contains("<td>region</td><td>0.031</td><td>4</td>"));
    // Tenure's drop is the larger, so it is the first bar: 0.08 ± 0.02.
    assert!(html.contains("<title>&lt;b&gt;tenure&lt;/b&gt;: 0.08</title>"));
}

#[test]
fn missing_curves_leave_their_charts_out() {
    let mut model = scorer();
    model["metrics"]["curves"] = Value::Null;
    model["metrics"]["roc_auc"] = Value::Null;
    let html = render_html(&model);
    assert_self_contained(&html);
    // ROC, precision-recall, gains and lift need the curves.
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(html.contains("ROC curve: not available."));
    assert!(html.contains("<td>ROC AUC</td><td class=\"na\">not available</td>"));
}

#[test]
fn recommender_page_has_curves_and_bias() {
    let html = render_html(&recommender());
    assert_self_contained(&html);
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(html.contains("<h1>item_item recommender</h1>"));
    assert!(html.contains("<td>NDCG@10</td><td>0.3</td>"));
    assert!(html.contains("<td>Mean popularity percentile</td><td>82.5</td>"));
    assert!(html.contains("<td>Fallback engine</td><td>popularity</td>"));
    assert!(html.contains("<td>Active</td><td>no</td>"));
    // The legend names the three lines.
    for name in ["Precision", "Recall", "NDCG"] {
        assert!(html.contains(&format!(">{name}</text>")), "{name}");
    }
    // Coverage 0.01 k over k 0..20 and 0..0.2: (10, 0.1) is at (260, 150).
    assert!(html.contains(" 260,150 "));
}

#[test]
fn odd_input_never_panics() {
    for model in [
        json!({}),
        json!(null),
        json!([1, 2]),
        json!({"kind": 3, "metrics": "x"}),
        json!({"metrics": {"roc_auc": "high", "curves": {"roc": [{"fpr": "a"}, 1]}, "fairness": [1]}}),
        json!({"kind": "recommender", "metrics": {"curve": [{"k": 1}], "metrics": 3}}),
    ] {
        let html = render_html(&model);
        assert_self_contained(&html);
    }
    let empty = render_html(&json!({}));
    assert!(empty.contains("Metrics: not available."));
    // roc_auc present: a scorer, whose charts are all missing.
    let inferred = render_html(&json!({"metrics": {"roc_auc": 0.7}}));
    assert!(inferred.contains("<h1>unknown engine scorer</h1>"));
    assert!(inferred.contains("ROC curve: not available."));
    let segmenter = render_html(&json!({"kind": "segmenter", "engine": "kmeans",
        "metrics": {"clusters": 4, "inertia": 12.5, "sizes": [1, 2]}}));
    assert!(segmenter.contains("<td>clusters</td><td>4</td>"));
    assert!(!segmenter.contains("sizes") && !segmenter.contains("<svg"));
}

#[test]
fn importance_charts_keep_the_top_fifteen() {
    let features: Vec<Value> = (0..20)
        .map(|i| json!({"feature": format!("f{i}"), "mean_drop": f64::from(i) / 100.0, "std_drop": 0.001}))
        .collect();
    let html =
        render_html(&json!({"kind": "scorer", "metrics": {"permutation_importance": features}}));
    assert_eq!(html.matches("<svg").count(), 1);
    assert_eq!(html.matches("<rect").count(), 15);
    // Largest first: f19 is the first bar, f5 the last, f4 left out.
    let (first, last) = (
        html.find(">f19</text>").unwrap(),
        html.find(">f5</text>").unwrap(),
    );
    assert!(first < last);
    assert!(!html.contains(">f4</text>"));
}
