//! The sections of a recommender's page: the summary of its offline
//! evaluation (metrics at k, popularity bias, fallback) and the curves of its
//! metrics and catalogue coverage over list lengths.

use serde_json::Value;

use crate::html::{Table, missing, scalar};
use crate::json::{at, list, points};
use crate::page::{figure, section};
use crate::svg::LineChart;

/// Every section of a recommender's page, from its `metrics` object.
pub fn sections(metrics: &Value) -> String {
    // The metrics at k are nested under `metrics`; older reports kept them
    // at the top level.
    let at_k = at(metrics, &["metrics"])
        .filter(|v| v.is_object())
        .unwrap_or(metrics);
    let mut out = section("Summary", &summary(metrics, at_k).render(""));
    let curve = list(metrics, &["curve"]);
    let mut figures = String::new();
    let series = |key: &str| points(curve, "k", key);
    let ranking = [
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("ndcg", "NDCG"),
    ];
    if ranking.iter().any(|(key, _)| !series(key).is_empty()) {
        let chart = ranking.iter().fold(
            LineChart::new(
                "Precision, recall and NDCG at k",
                "List length k",
                "Mean over customers",
            ),
            |chart, (key, name)| chart.series(name, series(key), true),
        );
        figures.push_str(&figure(
            &chart.render(),
            "Ranking metrics of the held-out interactions for lists of 1 to 20 items.",
        ));
    } else {
        figures.push_str(&missing("Precision, recall and NDCG at k"));
    }
    let coverage = series("coverage");
    if coverage.is_empty() {
        figures.push_str(&missing("Catalogue coverage at k"));
    } else {
        let chart = LineChart::new(
            "Catalogue coverage at k",
            "List length k",
            "Share of train items recommended",
        )
        .series("coverage", coverage, true);
        figures.push_str(&figure(
            &chart.render(),
            "Distinct items recommended to the evaluated customers over the items seen in train.",
        ));
    }
    out.push_str(&section("Charts", &figures));
    out
}

/// The summary table: metrics at k, the split, timings, popularity bias and
/// the fallback for cold customers.
fn summary(metrics: &Value, at_k: &Value) -> Table {
    let value = |v: &Value, path: &[&str]| at(v, path).and_then(scalar);
    let k = value(at_k, &["k"]).unwrap_or_else(|| "k".to_owned());
    let mut t = Table::new(&["Figure", "Value"]);
    t.pair("List length k", value(at_k, &["k"]));
    t.pair("Customers evaluated", value(at_k, &["customers"]));
    for (key, name) in [
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("ndcg", "NDCG"),
        ("map", "MAP"),
        ("coverage", "Catalogue coverage"),
    ] {
        t.pair(&format!("{name}@{k}"), value(at_k, &[key]));
    }
    let rows: [(&str, &[&str]); 10] = [
        ("Train interactions", &["train_rows"]),
        ("Test interactions", &["test_rows"]),
        ("Train items", &["train_items"]),
        ("Fit seconds", &["fit_secs"]),
        ("Scoring seconds", &["score_secs"]),
        (
            "Most popular train items (top 1 %)",
            &["popularity_bias", "top_items"],
        ),
        (
            "Share of slots to the top 1 %",
            &["popularity_bias", "top_share"],
        ),
        (
            "Mean popularity percentile",
            &["popularity_bias", "mean_percentile"],
        ),
        ("Fallback engine", &["fallback", "engine"]),
        ("Fallback half-life (days)", &["fallback", "half_life_days"]),
    ];
    for (label, path) in rows {
        t.pair(label, value(metrics, path));
    }
    t
}
