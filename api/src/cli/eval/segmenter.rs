//! `rapport eval segments --customers FILE --features COL,... [--k 4 | --k-range 2..8]`:
//! k-means on chosen columns of a customer table (DESIGN.md §5, segments),
//! printing per k the inertia, silhouette, sizes, iterations and fit time.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use rapport_core::Params;
use rapport_core::table::read_table_file;
use rapport_segments::{KReport, Segments};
use serde::Serialize;

use super::EvalError;
use crate::cli::files::CsvArgs;

/// Arguments of `rapport eval segments`.
#[derive(Debug, Clone, Args)]
pub struct SegmenterEvalArgs {
    /// Customer table (CSV, one row per customer).
    #[arg(long, value_name = "FILE")]
    pub customers: PathBuf,
    /// Numeric columns to segment on (blanks count as 0).
    #[arg(long, value_name = "COL,...", value_delimiter = ',', required = true)]
    pub features: Vec<String>,
    /// Categorical columns, one-hot encoded.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// The number of segments (default: chosen by silhouette over --k-range).
    #[arg(long)]
    pub k: Option<usize>,
    /// The range of k tried when --k is not given, `MIN..MAX`.
    #[arg(long, value_name = "MIN..MAX", default_value = "2..8")]
    pub k_range: String,
    /// Engine parameter override, repeatable (`--param n_init=10`).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = crate::cli::parse_param)]
    pub params: Vec<(String, String)>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

/// What `rapport eval segments` prints.
#[derive(Debug, Serialize)]
pub struct SegmenterReport {
    /// Customers segmented.
    pub rows: usize,
    /// The features, after one-hot encoding.
    pub features: Vec<String>,
    /// The chosen k.
    pub k: usize,
    /// Per k tried: inertia, silhouette, sizes (descending), iterations, fit seconds.
    pub per_k: Vec<KReport>,
}

/// Reads the table, fits every k and writes the report to `out`.
pub fn run(args: &SegmenterEvalArgs, out: &mut dyn Write) -> Result<SegmenterReport, EvalError> {
    let (k_min, k_max) = args
        .k_range
        .split_once("..")
        .and_then(|(a, b)| {
            Some((
                a.trim().parse::<usize>().ok()?,
                b.trim().parse::<usize>().ok()?,
            ))
        })
        .ok_or_else(|| {
            EvalError::Engine(rapport_core::EngineError::invalid_param(
                "k-range",
                "give it as MIN..MAX, e.g. 2..8",
            ))
        })?;
    let mut params = Params::new()
        .with("features", args.features.join(","))
        .with("categorical", args.categorical.join(","))
        .with("k", args.k.unwrap_or(0))
        .with("k_min", k_min)
        .with("k_max", k_max);
    for (name, value) in &args.params {
        params = params.with(name, value);
    }
    let table = read_table_file(&args.customers, &args.csv.options())?;
    let frame = super::scorer::frame_of(&table)?;
    let fit = Segments
        .fit_columns(&frame, &params, &[])
        .map_err(|e| EvalError::Segments(e.to_string()))?;
    let model = fit.model;
    let report = SegmenterReport {
        rows: model.rows,
        features: model.feature_names.clone(),
        k: model.k,
        per_k: model.per_k,
    };
    let written = if args.json {
        super::report::write_json(&report, out)
    } else {
        write_text(&report, out)
    };
    written.map_err(EvalError::report)?;
    Ok(report)
}

fn write_text(report: &SegmenterReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "segments: {} customers, features {}, chosen k = {}",
        report.rows,
        report.features.join(", "),
        report.k
    )?;
    writeln!(
        out,
        "{:>3} {:>14} {:>10} {:>6} {:>8}  sizes",
        "k", "inertia", "silhouette", "iter", "fit s"
    )?;
    for r in &report.per_k {
        let silhouette = r.silhouette.map_or("-".to_owned(), |s| format!("{s:.4}"));
        writeln!(
            out,
            "{:>3} {:>14.4} {:>10} {:>6} {:>8.3}  {:?}",
            r.k, r.inertia, silhouette, r.iterations, r.fit_seconds, r.sizes
        )?;
    }
    Ok(())
}
