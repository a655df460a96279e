//! Printing an evaluation as a table or JSON.

use std::collections::BTreeMap;
use std::io::Write;

use rapport_core::Params;
use rapport_core::eval::EvalReport;
use rapport_core::table::RowError;
use serde::Serialize;

/// Skipped rows listed one by one; the rest are only counted.
const LISTED_SKIPS: usize = 20;

/// What `rapport eval` prints.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    #[serde(flatten)]
    result: EvalReport,
    params: BTreeMap<String, String>,
    skipped_rows: usize,
    skipped: Vec<String>,
}

impl Report {
    pub(crate) fn new(result: EvalReport, params: &Params, skipped: &[RowError]) -> Self {
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

    pub(crate) fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }

    pub(crate) fn write_table(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let r = &self.result;
        let m = &r.metrics;
        let k = m.k;
        writeln!(
            out,
            "{:<12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "engine",
            format!("P@{k}"),
            format!("R@{k}"),
            format!("NDCG@{k}"),
            format!("MAP@{k}"),
            "coverage",
            "fit_s",
            "score_s"
        )?;
        writeln!(
            out,
            "{:<12} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.3} {:>8.3}",
            r.engine, m.precision, m.recall, m.ndcg, m.map, m.coverage, r.fit_secs, r.score_secs
        )?;
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
