//! `rapport eval SCORER --customers FILE --label COL[=POSITIVE]`: reading the
//! customer table, running the scorer protocol and writing the report.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use rapport_assess::{AssessOptions, Assessment, fit_assessed};
use rapport_core::scoring::{ColumnKind, Frame, LabelSpec, TrainSpec, Value};
use rapport_core::table::{Table, read_table_file};
use rapport_core::{DynScorer, ScoreError};

use super::report::{write_json, write_scorer_text};
use super::{EvalError, params};
use crate::cli::files::CsvArgs;

/// Arguments of `rapport eval` for a scorer.
#[derive(Debug, Clone, Args)]
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
    /// Attributes whose groups the fairness report compares (they may also be dropped).
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub protected: Vec<String>,
    /// Engine parameter override, repeatable (`--param c=0.5`).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = crate::cli::parse_param)]
    pub params: Vec<(String, String)>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

/// Reads the CSV, runs the scorer protocol with the assessment training
/// runs (calibration, importance, fairness), writes the report to `out`,
/// and returns it.
pub fn run(
    scorer: &dyn DynScorer,
    args: &ScorerEvalArgs,
    out: &mut dyn Write,
) -> Result<Assessment, EvalError> {
    let params = params(&args.params, &scorer.describe().params)?;
    let table = read_table_file(&args.customers, &args.csv.options())?;
    let frame = frame_of(&table)?;
    let spec = train_spec(args, &table, frame.columns())?;
    let options = AssessOptions {
        protected: args
            .protected
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| column_name(&table, frame.columns(), c))
            .collect::<Result<_, _>>()?,
        ..AssessOptions::default()
    };
    let assessed =
        fit_assessed(scorer, &frame, &spec, &params, &options).map_err(|e| match e.row() {
            Some(row) => EvalError::AtLine {
                line: table.rows.get(row).map_or(0, |r| r.line),
                source: e,
            },
            None => EvalError::Score(e),
        })?;
    let mut report = assessed.assessment;
    report.evaluation.skipped_rows = table.skipped.len();
    let written = if args.json {
        write_json(&report, out)
    } else {
        write_scorer_text(&report, &args.customers.display().to_string(), out)
    };
    written.map_err(EvalError::report)?;
    Ok(report)
}

/// The table as a frame: header names, or `0`, `1`, ... without a header.
pub(super) fn frame_of(table: &Table) -> Result<Frame, EvalError> {
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
    Ok(Frame::new(columns, rows)?)
}

/// The frame column that `spec` names in the table (exact, then
/// case-insensitive, or by number).
fn column_name(table: &Table, columns: &[String], spec: &str) -> Result<String, EvalError> {
    let index = table.column(spec)?;
    columns
        .get(index)
        .cloned()
        .ok_or_else(|| ScoreError::UnknownColumn(spec.to_owned()).into())
}

/// Label, excluded columns and type overrides, with names resolved by the table.
fn train_spec(
    args: &ScorerEvalArgs,
    table: &Table,
    columns: &[String],
) -> Result<TrainSpec, EvalError> {
    let name = |spec: &str| column_name(table, columns, spec);
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
    for column in &args.numeric {
        spec.kinds.insert(name(column)?, ColumnKind::Numeric);
    }
    for column in &args.categorical {
        spec.kinds.insert(name(column)?, ColumnKind::Categorical);
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use clap::Parser;
    use rapport_core::EngineError;
    use rapport_core::table::TableError;
    use rapport_engines::registry;

    use super::*;

    /// 30 customers; `plan` and `tickets` drive `churn`, with a few exceptions.
    fn csv(separator: char, header: bool) -> String {
        let mut text = String::new();
        if header {
            text.push_str(
                &["id", "plan", "tickets", "spend", "churn"].join(&separator.to_string()),
            );
            text.push('\n');
        }
        for i in 0..30 {
            let plan = ["basic", "pro", "team"][i % 3];
            let tickets = (i * 7) % 5;
            let spend = if i % 8 == 6 {
                String::new()
            } else {
                format!("{}.5", 10 + i)
            };
            let churn = (plan == "basic" || tickets >= 3) != (i % 13 == 4);
            let churn = if churn { "Yes" } else { "No" };
            let fields = [
                format!("c{i}"),
                plan.into(),
                tickets.to_string(),
                spend,
                churn.into(),
            ];
            text.push_str(&fields.join(&separator.to_string()));
            text.push('\n');
        }
        text
    }

    fn file(contents: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(contents.as_bytes()).unwrap();
        f
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ScorerEvalArgs,
    }

    fn run_on(
        f: &tempfile::NamedTempFile,
        extra: &[&str],
    ) -> Result<(rapport_core::scoring::ScorerEvalReport, String), EvalError> {
        let mut argv = vec!["eval", "--customers", f.path().to_str().unwrap()];
        argv.extend(extra);
        let args = Cli::try_parse_from(argv).unwrap().args;
        let mut out = Vec::new();
        let logistic = registry().scorer("logistic").unwrap();
        let report = run(logistic, &args, &mut out)?;
        Ok((report.evaluation, String::from_utf8(out).unwrap()))
    }

    #[test]
    fn split_puts_every_fifth_row_in_test() {
        let f = file(&csv(',', true));
        let extra = [
            "--label",
            "churn=Yes",
            "--drop",
            "id",
            "--param",
            "min_frequency=1",
        ];
        let (report, text) = run_on(&f, &extra).unwrap();
        assert_eq!((report.train_rows, report.test_rows), (24, 6));
        // Test rows 4, 9, 14, 19, 24, 29: plans pro, basic, team, pro, basic, team;
        // tickets 3, 3, 3, 3, 3, 3 -> all churn except row 4 (the i % 13 == 4 exception).
        assert_eq!(report.test_positives, 5);
        assert_eq!(report.label, "churn=Yes");
        assert!(text.starts_with("logistic on "), "{text}");
        for needle in [
            "ROC AUC",
            "accuracy@0.5",
            "log loss",
            "fit seconds",
            "top features",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
        let features: Vec<&str> = report
            .top_features
            .iter()
            .map(|f| f.feature.as_str())
            .collect();
        assert_eq!(features.len(), 3);
        assert!(!features.contains(&"id"));
    }

    #[test]
    fn json_semicolons_and_no_header() {
        let f = file(&csv(';', false));
        let extra = [
            "--label",
            "4=Yes",
            "--drop",
            "0",
            "--no-header",
            "--json",
            "--separator",
            ";",
        ];
        let (report, text) = run_on(&f, &extra).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["test_rows"], 6);
        assert_eq!(json["label"], "4=Yes");
        assert_eq!(json["engine"], "logistic");
        assert!(json["log_loss"].as_f64().unwrap() > 0.0);
        assert_eq!(
            report.model_columns,
            json["model_columns"].as_u64().unwrap() as usize
        );
    }

    #[test]
    fn type_overrides_change_the_encoding() {
        let f = file(&csv(',', true));
        let base = [
            "--label",
            "churn=Yes",
            "--id",
            "id",
            "--param",
            "min_frequency=1",
        ];
        let (numeric, _) = run_on(&f, &base).unwrap();
        let mut categorical = base.to_vec();
        categorical.extend(["--categorical", "tickets"]);
        let (categorical, _) = run_on(&f, &categorical).unwrap();
        // tickets: 1 numeric column vs its 4 train levels (3 only occurs in test);
        // spend has blanks: value + indicator.
        assert_eq!(numeric.model_columns, 3 + 1 + 2);
        assert_eq!(categorical.model_columns, 3 + 4 + 2);
    }

    #[test]
    fn bad_input_is_refused_with_a_clear_error() {
        let f = file(&csv(',', true));
        let unknown = run_on(&f, &["--label", "nope=Yes"]).unwrap_err();
        assert!(unknown.to_string().contains("nope"), "{unknown}");
        let bad_param = run_on(&f, &["--label", "churn=Yes", "--param", "c=-1"]);
        assert!(matches!(
            bad_param,
            Err(EvalError::Engine(EngineError::InvalidParam { .. }))
        ));
        // A blank label on data row 7 (file line 9) is named by its line.
        let text = csv(',', true).replacen("c7,pro,4,17.5,Yes", "c7,pro,4,17.5,", 1);
        let err = run_on(&file(&text), &["--label", "churn=Yes"]).unwrap_err();
        assert!(
            matches!(&err, EvalError::AtLine { line: 9, source } if !source.is_internal()),
            "{err}"
        );
        // A ragged row is skipped, or refuses the file in strict mode.
        let text = csv(',', true).replacen("c3,", "c3,extra,", 1);
        let f = file(&text);
        let (report, _) = run_on(&f, &["--label", "churn=Yes", "--drop", "id"]).unwrap();
        assert_eq!(report.skipped_rows, 1);
        assert_eq!(report.train_rows + report.test_rows, 29);
        let strict = run_on(&f, &["--label", "churn=Yes", "--strict"]);
        assert!(matches!(
            strict,
            Err(EvalError::Table(TableError::Malformed(_)))
        ));
    }
}
