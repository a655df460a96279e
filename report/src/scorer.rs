//! The sections of a scorer's page: the summary of its test figures and
//! calibration, seven charts, and the fairness and mutual-information tables.

mod tables;

use serde_json::Value;

use crate::html::{Table, number, scalar};
use crate::json::{at, list, num, points};
use crate::page::{figure, section};
use crate::svg::{Bar, BarChart, LineChart};

/// Importance charts show at most this many features.
const TOP_FEATURES: usize = 15;

/// Every section of a scorer's page, from its `metrics` object.
pub fn sections(metrics: &Value) -> String {
    let mut out = section("Summary", &summary(metrics).render(""));
    let charts = [
        ("ROC curve", roc(metrics)),
        ("Precision-recall curve", precision_recall(metrics)),
        ("Reliability diagram", reliability(metrics)),
        ("Cumulative gains", gains(metrics)),
        ("Lift by decile", lift(metrics)),
        ("Permutation importance", permutation(metrics)),
        (
            "Mean |contribution| of the top features",
            contributions(metrics),
        ),
    ];
    let mut figures = String::new();
    for (name, chart) in charts {
        figures.push_str(&match chart {
            Some((svg, caption)) => figure(&svg, &caption),
            None => crate::html::missing(name),
        });
    }
    out.push_str(&section("Charts", &figures));
    if let Some(rules) = tables::rules(metrics) {
        out.push_str(&section("Rules (one per leaf)", &rules));
    }
    out.push_str(&section("Fairness", &tables::fairness(metrics)));
    out.push_str(&section(
        "Mutual information",
        &tables::mutual_information(metrics),
    ));
    out
}

/// The scalar at `path`, as text.
fn value(metrics: &Value, path: &[&str]) -> Option<String> {
    at(metrics, path).and_then(scalar)
}

/// The summary table: data, test figures, calibration and tiers.
fn summary(m: &Value) -> Table {
    let mut t = Table::new(&["Figure", "Value"]);
    let rows: [(&str, &[&str]); 25] = [
        ("Label", &["label"]),
        ("Objective", &["objective"]),
        ("Train rows", &["train_rows"]),
        ("Train positives", &["train_positives"]),
        ("Test rows", &["test_rows"]),
        ("Test positives", &["test_positives"]),
        ("Model columns", &["model_columns"]),
        ("Skipped rows", &["skipped_rows"]),
        ("Fit seconds", &["fit_seconds"]),
        ("ROC AUC", &["roc_auc"]),
        ("Average precision", &["curves", "average_precision"]),
        ("Accuracy", &["accuracy"]),
        ("Log loss", &["log_loss"]),
        ("Brier score, raw", &["test", "raw", "brier"]),
        ("Brier score, calibrated", &["test", "calibrated", "brier"]),
        ("ECE, raw", &["test", "raw", "ece"]),
        ("ECE, calibrated", &["test", "calibrated", "ece"]),
        ("Calibration method", &["calibration", "method"]),
        ("Calibration reason", &["calibration", "reason"]),
        (
            "Cross-fitted log loss, identity",
            &["calibration", "cross_fitted_log_loss", "identity"],
        ),
        (
            "Cross-fitted log loss, Platt",
            &["calibration", "cross_fitted_log_loss", "platt"],
        ),
        (
            "Cross-fitted log loss, isotonic",
            &["calibration", "cross_fitted_log_loss", "isotonic"],
        ),
        ("Tier threshold q25", &["tiers", "q25"]),
        ("Tier threshold q50", &["tiers", "q50"]),
        ("Tier threshold q75", &["tiers", "q75"]),
    ];
    for (label, path) in rows {
        t.pair(label, value(m, path));
    }
    t
}

/// A chart's SVG and caption, or `None` when its data is missing.
type Chart = Option<(String, String)>;

/// (1) True against false positive rate, with the chance diagonal.
fn roc(m: &Value) -> Chart {
    let curve = points(list(m, &["curves", "roc"]), "fpr", "tpr");
    if curve.is_empty() {
        return None;
    }
    let auc = num(m, &["roc_auc"]).map_or_else(|| "not available".to_owned(), number);
    let svg = LineChart::new("ROC curve", "False positive rate", "True positive rate")
        .unit_square()
        .diagonal()
        .series("ROC", curve, false)
        .render();
    Some((
        svg,
        format!("ROC curve on the test rows (AUC {auc}); the diagonal is chance."),
    ))
}

/// (2) Precision against recall.
fn precision_recall(m: &Value) -> Chart {
    let curve = points(
        list(m, &["curves", "precision_recall"]),
        "recall",
        "precision",
    );
    if curve.is_empty() {
        return None;
    }
    let ap =
        num(m, &["curves", "average_precision"]).map_or_else(|| "not available".to_owned(), number);
    let svg = LineChart::new("Precision-recall curve", "Recall", "Precision")
        .unit_square()
        .series("precision-recall", curve, false)
        .render();
    Some((
        svg,
        format!("Precision against recall (average precision {ap})."),
    ))
}

/// (3) Observed rate against mean predicted probability per bin, calibrated
/// and raw, with the diagonal of perfect calibration.
fn reliability(m: &Value) -> Chart {
    let bins = |which: &str| {
        points(
            list(m, &["test", which, "bins"]),
            "mean_predicted",
            "observed_rate",
        )
    };
    let (calibrated, raw) = (bins("calibrated"), bins("raw"));
    if calibrated.is_empty() && raw.is_empty() {
        return None;
    }
    let svg = LineChart::new(
        "Reliability diagram",
        "Mean predicted probability",
        "Observed rate",
    )
    .unit_square()
    .diagonal()
    .series("calibrated", calibrated, true)
    .series("raw", raw, true)
    .render();
    Some((
        svg,
        "Per probability bin of the test rows; on the diagonal the probabilities are right."
            .to_owned(),
    ))
}

/// (4) Share of the positives found against share of rows, by decile.
fn gains(m: &Value) -> Chart {
    let deciles = points(list(m, &["curves", "gains"]), "share_of_rows", "gain");
    if deciles.is_empty() {
        return None;
    }
    let curve = std::iter::once((0.0, 0.0)).chain(deciles).collect();
    let svg = LineChart::new(
        "Cumulative gains",
        "Share of rows, best scores first",
        "Share of positives",
    )
    .unit_square()
    .diagonal()
    .series("gains", curve, true)
    .render();
    Some((
        svg,
        "Positives found when contacting the best-scored rows first; the diagonal is random order."
            .to_owned(),
    ))
}

/// (5) Lift of each decile, with the line of no lift.
fn lift(m: &Value) -> Chart {
    let bars: Vec<Bar> = list(m, &["curves", "gains"])
        .iter()
        .filter_map(|d| {
            Some(Bar {
                label: at(d, &["decile"]).and_then(scalar)?,
                value: num(d, &["lift"])?,
                whisker: None,
            })
        })
        .collect();
    if bars.is_empty() {
        return None;
    }
    let svg = BarChart::vertical("Lift by decile", "Decile (1 = best scores)", "Lift")
        .reference(1.0)
        .bars(bars)
        .render();
    Some((
        svg,
        "Positive rate of each decile over the overall rate; the dashed line is 1.".to_owned(),
    ))
}

/// The `TOP_FEATURES` largest bars of `items` by `key`, largest first.
fn top_bars(items: &[Value], key: &str, whisker: Option<&str>) -> Vec<Bar> {
    let mut bars: Vec<Bar> = items
        .iter()
        .filter_map(|f| {
            Some(Bar {
                label: at(f, &["feature"]).and_then(scalar)?,
                value: num(f, &[key])?,
                whisker: whisker.and_then(|w| num(f, &[w])),
            })
        })
        .collect();
    bars.sort_by(|a, b| b.value.total_cmp(&a.value));
    bars.truncate(TOP_FEATURES);
    bars
}

/// (6) Mean drop of the test score when a feature is permuted, ± its std.
fn permutation(m: &Value) -> Chart {
    let bars = top_bars(
        list(m, &["permutation_importance"]),
        "mean_drop",
        Some("std_drop"),
    );
    if bars.is_empty() {
        return None;
    }
    let svg = BarChart::horizontal(
        "Permutation importance",
        "Feature",
        "Mean drop of the test score",
    )
    .bars(bars)
    .render();
    Some((
        svg,
        format!(
            "Top {TOP_FEATURES} features; whiskers are ± one standard deviation over the permutations."
        ),
    ))
}

/// (7) Mean absolute contribution to the score of the top features.
fn contributions(m: &Value) -> Chart {
    let bars = top_bars(list(m, &["top_features"]), "mean_abs_contribution", None);
    if bars.is_empty() {
        return None;
    }
    let svg = BarChart::horizontal(
        "Mean |contribution| of the top features",
        "Feature",
        "Mean |contribution|",
    )
    .bars(bars)
    .render();
    Some((
        svg,
        "Mean absolute contribution of each feature to the scores of the test rows.".to_owned(),
    ))
}
