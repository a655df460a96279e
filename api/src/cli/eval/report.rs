//! Printing an evaluation as a table or JSON: a recommender's metrics with
//! the rows skipped, a scorer's metrics with its calibration, top features,
//! permutation importance and fairness tables.

use std::collections::BTreeMap;
use std::io::Write;

use rapport_assess::{Assessment, FairnessReport};
use rapport_core::Params;
use rapport_core::eval::{EvalReport, Metrics};
use rapport_core::table::RowError;
use serde::Serialize;

/// Skipped rows listed one by one; the rest are only counted.
const LISTED_SKIPS: usize = 20;

/// Pretty JSON and a newline.
pub(super) fn write_json(value: &impl Serialize, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// The head of a table of recommender metrics at `k`, its first column `first`.
pub(super) fn write_metrics_header(
    out: &mut dyn Write,
    first: &str,
    k: usize,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        first,
        format!("P@{k}"),
        format!("R@{k}"),
        format!("NDCG@{k}"),
        format!("MAP@{k}"),
        "coverage",
        "fit_s",
        "score_s"
    )
}

/// One line of that table: `name`, the metrics and, when timed, the fit and
/// scoring seconds.
pub(super) fn write_metrics_row(
    out: &mut dyn Write,
    name: &str,
    m: &Metrics,
    secs: Option<(f64, f64)>,
) -> std::io::Result<()> {
    let (fit, score) = secs.map_or_else(
        || (String::new(), String::new()),
        |(fit, score)| (format!("{fit:.3}"), format!("{score:.3}")),
    );
    writeln!(
        out,
        "{:<12} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {fit:>8} {score:>8}",
        name, m.precision, m.recall, m.ndcg, m.map, m.coverage
    )
}

/// What `rapport eval` prints for a recommender.
#[derive(Debug, Serialize)]
pub(super) struct Report {
    #[serde(flatten)]
    result: EvalReport,
    params: BTreeMap<String, String>,
    skipped_rows: usize,
    skipped: Vec<String>,
}

impl Report {
    /// The report of `result`, run with `params`, with the rows `skipped`.
    pub(super) fn new(result: EvalReport, params: &Params, skipped: &[RowError]) -> Self {
        Self {
            result,
            params: params
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            skipped_rows: skipped.len(),
            skipped: skipped
                .iter()
                .take(LISTED_SKIPS)
                .map(ToString::to_string)
                .collect(),
        }
    }

    /// The report as JSON.
    pub(super) fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        write_json(self, out)
    }

    /// The report as a table: a header, the engine's line, the split, skipped rows.
    pub(super) fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let r = &self.result;
        let m = &r.metrics;
        write_metrics_header(out, "engine", m.k)?;
        write_metrics_row(out, &r.engine, m, Some((r.fit_secs, r.score_secs)))?;
        self.write_split(out)
    }

    /// The split's sizes and the rows skipped.
    pub(super) fn write_split(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let r = &self.result;
        let m = &r.metrics;
        writeln!(
            out,
            "train {} rows, test {} rows, {} customers evaluated, {} train items, skipped rows: {}",
            r.train_rows, r.test_rows, m.customers, r.train_items, self.skipped_rows
        )?;
        for line in &self.skipped {
            writeln!(out, "  skipped {line}")?;
        }
        if self.skipped_rows > self.skipped.len() {
            writeln!(
                out,
                "  ... and {} more skipped rows",
                self.skipped_rows - self.skipped.len()
            )?;
        }
        Ok(())
    }
}

/// A scorer's report as text: the split, the metrics and the top features.
pub(super) fn write_scorer_text(
    assessment: &Assessment,
    file: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let report = &assessment.evaluation;
    writeln!(out, "{} on {file} (label {})", report.engine, report.label)?;
    writeln!(
        out,
        "split: {} train ({} positive), {} test ({} positive); {} model columns",
        report.train_rows,
        report.train_positives,
        report.test_rows,
        report.test_positives,
        report.model_columns
    )?;
    if report.skipped_rows > 0 {
        writeln!(out, "skipped {} malformed rows", report.skipped_rows)?;
    }
    let auc = report.roc_auc.map_or_else(
        || "n/a (one class in test)".to_owned(),
        |a| format!("{a:.4}"),
    );
    writeln!(out, "{:<14}{auc}", "ROC AUC")?;
    writeln!(out, "{:<14}{:.4}", "accuracy@0.5", report.accuracy)?;
    writeln!(out, "{:<14}{:.4}", "log loss", report.log_loss)?;
    let (raw, calibrated) = (&assessment.test.raw, &assessment.test.calibrated);
    writeln!(out, "{:<14}{:.4}", "Brier", raw.brier)?;
    writeln!(out, "{:<14}{:.4}", "ECE", raw.ece)?;
    let calibration = &assessment.calibration;
    writeln!(
        out,
        "calibration   {} on {} rows ({}): log loss {:.4}, Brier {:.4}, ECE {:.4}",
        calibration.method.as_str(),
        calibration.rows,
        calibration.reason,
        calibrated.log_loss,
        calibrated.brier,
        calibrated.ece
    )?;
    writeln!(out, "{:<14}{:.3}", "fit seconds", report.fit_seconds)?;
    writeln!(
        out,
        "{:<14}{:.4}",
        "score ms/row", report.score_ms_per_customer
    )?;
    writeln!(out, "{:<14}{:.2}", "objective", report.objective)?;
    writeln!(out, "top features by mean |contribution| on test:")?;
    for (rank, f) in report.top_features.iter().enumerate() {
        writeln!(
            out,
            "{:>4}. {:<24}{:.4}",
            rank + 1,
            f.feature,
            f.mean_abs_contribution
        )?;
    }
    writeln!(
        out,
        "permutation importance (ROC AUC drop on test, mean ± sd):"
    )?;
    for (rank, f) in assessment
        .permutation_importance
        .iter()
        .take(10)
        .enumerate()
    {
        writeln!(
            out,
            "{:>4}. {:<24}{:.4} ± {:.4}",
            rank + 1,
            f.feature,
            f.mean_drop,
            f.std_drop
        )?;
    }
    for report in &assessment.fairness {
        write_fairness(report, out)?;
    }
    Ok(())
}

/// One protected attribute's table, flagged groups marked.
fn write_fairness(report: &FairnessReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "fairness by {} (positive prediction above {}):",
        report.attribute, report.threshold
    )?;
    writeln!(
        out,
        "  {:<16}{:>6}{:>10}{:>8}{:>9}{:>8}{:>11}{:>7}",
        "group", "count", "pos rate", "mean", "ROC AUC", "ECE", "predicted", "ratio"
    )?;
    for g in &report.groups {
        let auc = g
            .roc_auc
            .map_or_else(|| "n/a".to_owned(), |a| format!("{a:.4}"));
        writeln!(
            out,
            "  {:<16}{:>6}{:>10.4}{:>8.4}{:>9}{:>8.4}{:>11.4}{:>7.3}{}",
            g.group,
            g.count,
            g.positive_rate,
            g.mean_score,
            auc,
            g.ece,
            g.predicted_positive_rate,
            g.ratio_to_highest,
            if g.flagged { "  under 4/5" } else { "" }
        )?;
    }
    Ok(())
}
