//! `rapport eval logistic`: command-line arguments, reading the customer CSV
//! through `rapport_core::table`, and printing the report.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use rapport_core::Params;
use rapport_core::table::{Table, TableOptions, read_table_file};

use crate::encode::ColumnKind;
use crate::error::ScoreError;
use crate::eval::{ScorerEvalReport, evaluate};
use crate::label::LabelSpec;
use crate::model::TrainSpec;
use crate::params::LogisticParams;
use crate::value::{Frame, Value};

/// Arguments of `rapport eval logistic`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScorerEvalArgs {
    /// Customer table (CSV, one row per customer).
    #[arg(long, value_name = "FILE")]
    pub customers: PathBuf,
    /// Label column, optionally with its positive value (`Churn=Yes`).
    #[arg(long, value_name = "COL[=POSITIVE]")]
    pub label: String,
    /// Columns that are not features.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub drop: Vec<String>,
    /// The customer id column (never a feature).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Columns to treat as numeric whatever their values look like.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub numeric: Vec<String>,
    /// Columns to treat as categorical even when every value is a number.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Engine parameter override, repeatable (`--param c=0.5`).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Field separator: `,` `;` `tab` or `|` (detected when absent).
    #[arg(long, value_parser = parse_separator)]
    pub separator: Option<u8>,
    /// The file has no header row; columns are named 0, 1, 2, ...
    #[arg(long)]
    pub no_header: bool,
    /// Refuse the whole file at the first malformed row instead of skipping it.
    #[arg(long)]
    pub strict: bool,
}

fn parse_separator(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err(format!("`{s}` is not one of `,` `;` tab `|`")),
    }
}

/// Reads the CSV, runs the scorer protocol, writes the report to `out`, and returns it.
pub fn run_scorer_eval(
    args: &ScorerEvalArgs,
    out: &mut dyn Write,
) -> Result<ScorerEvalReport, ScoreError> {
    let mut overrides = Params::new();
    for pair in &args.params {
        overrides.parse_pair(pair)?;
    }
    let params = LogisticParams::resolve(&overrides)?;
    let options = TableOptions {
        separator: args.separator,
        has_header: !args.no_header,
        strict: args.strict,
    };
    let table =
        read_table_file(&args.customers, &options).map_err(|e| ScoreError::Input(e.to_string()))?;
    let frame = frame_of(&table)?;
    let spec = train_spec(args, &table, frame.columns())?;
    let mut report = evaluate(&frame, &spec, &params).map_err(|e| match e.row() {
        Some(row) => ScoreError::AtLine {
            line: table.rows.get(row).map_or(0, |r| r.line),
            source: Box::new(e),
        },
        None => e,
    })?;
    report.skipped_rows = table.skipped.len();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)
            .map_err(|e| ScoreError::Serialise(e.to_string()))?;
        writeln!(out)?;
    } else {
        write_text(&report, &args.customers.display().to_string(), out)?;
    }
    Ok(report)
}

/// The table as a frame: header names, or `0`, `1`, ... without a header.
fn frame_of(table: &Table) -> Result<Frame, ScoreError> {
    let columns = match &table.header {
        Some(header) => header.clone(),
        None => (0..table.width).map(|i| i.to_string()).collect(),
    };
    let rows = table
        .rows
        .iter()
        .map(|row| {
            (0..columns.len())
                .map(|i| Value::from_cell(row.get(i)))
                .collect()
        })
        .collect();
    Frame::new(columns, rows)
}

/// Label, excluded columns and type overrides, with names resolved by the table
/// (exact, then case-insensitive, or by number).
fn train_spec(
    args: &ScorerEvalArgs,
    table: &Table,
    columns: &[String],
) -> Result<TrainSpec, ScoreError> {
    let name = |spec: &str| -> Result<String, ScoreError> {
        let index = table
            .column(spec)
            .map_err(|e| ScoreError::Input(e.to_string()))?;
        columns
            .get(index)
            .cloned()
            .ok_or_else(|| ScoreError::UnknownColumn(spec.to_owned()))
    };
    let mut label = LabelSpec::parse(&args.label)?;
    label.column = name(&label.column)?;
    let mut spec = TrainSpec::new(label);
    for column in args
        .drop
        .iter()
        .chain(&args.id)
        .filter(|c| !c.trim().is_empty())
    {
        spec.exclude.push(name(column)?);
    }
    let mut kinds = BTreeMap::new();
    for column in &args.numeric {
        kinds.insert(name(column)?, ColumnKind::Numeric);
    }
    for column in &args.categorical {
        kinds.insert(name(column)?, ColumnKind::Categorical);
    }
    spec.kinds = kinds;
    Ok(spec)
}

fn write_text(report: &ScorerEvalReport, file: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "logistic on {file} (label {})", report.label)?;
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
    writeln!(out, "{:<14}{:.3}", "fit seconds", report.fit_seconds)?;
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
    Ok(())
}
