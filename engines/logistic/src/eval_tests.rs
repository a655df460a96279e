//! Tests of the evaluation protocol and the CSV runner on tiny files.

use std::io::Write;

use clap::Parser;

use crate::*;

/// 30 customers; `plan` and `tickets` drive `churn`, with a few exceptions.
fn csv(separator: char, header: bool) -> String {
    let mut text = String::new();
    if header {
        text.push_str(&["id", "plan", "tickets", "spend", "churn"].join(&separator.to_string()));
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

fn args(path: &std::path::Path, extra: &[&str]) -> ScorerEvalArgs {
    let mut argv = vec!["eval", "--customers", path.to_str().unwrap()];
    argv.extend(extra);
    Cli::try_parse_from(argv).unwrap().args
}

fn run(args: &ScorerEvalArgs) -> Result<(ScorerEvalReport, String), ScoreError> {
    let mut out = Vec::new();
    let report = run_scorer_eval(args, &mut out)?;
    Ok((report, String::from_utf8(out).unwrap()))
}

#[test]
fn split_puts_every_fifth_row_in_test() {
    let f = file(&csv(',', true));
    let params = [
        "--label",
        "churn=Yes",
        "--drop",
        "id",
        "--param",
        "min_frequency=1",
    ];
    let (report, text) = run(&args(f.path(), &params)).unwrap();
    assert_eq!((report.train_rows, report.test_rows), (24, 6));
    // Test rows 4, 9, 14, 19, 24, 29: plans pro, basic, team, pro, basic, team;
    // tickets 3, 3, 3, 3, 3, 3 -> all churn except row 4 (the i % 13 == 4 exception).
    assert_eq!(report.test_positives, 5);
    assert_eq!(report.label, "churn=Yes");
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
    let (report, text) = run(&args(f.path(), &extra)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["test_rows"], 6);
    assert_eq!(json["label"], "4=Yes");
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
    let (numeric, _) = run(&args(f.path(), &base)).unwrap();
    let mut categorical = base.to_vec();
    categorical.extend(["--categorical", "tickets"]);
    let (categorical, _) = run(&args(f.path(), &categorical)).unwrap();
    // tickets: 1 numeric column vs its 4 train levels (3 only occurs in test);
    // spend has blanks: value + indicator.
    assert_eq!(numeric.model_columns, 3 + 1 + 2);
    assert_eq!(categorical.model_columns, 3 + 4 + 2);
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let f = file(&csv(',', true));
    let unknown = run(&args(f.path(), &["--label", "nope=Yes"])).unwrap_err();
    assert!(unknown.to_string().contains("nope"), "{unknown}");
    let bad_param = run(&args(
        f.path(),
        &["--label", "churn=Yes", "--param", "c=-1"],
    ));
    assert!(matches!(bad_param, Err(ScoreError::InvalidParam { .. })));
    // A blank label on data row 7 (file line 9) is named by its line.
    let text = csv(',', true).replacen("c7,pro,4,17.5,Yes", "c7,pro,4,17.5,", 1);
    let f = file(&text);
    let err = run(&args(f.path(), &["--label", "churn=Yes"])).unwrap_err();
    assert!(matches!(err, ScoreError::AtLine { line: 9, .. }), "{err}");
    assert!(!err.is_internal());
    // A ragged row is skipped, or refuses the file in strict mode.
    let text = csv(',', true).replacen("c3,", "c3,extra,", 1);
    let f = file(&text);
    let (report, _) = run(&args(f.path(), &["--label", "churn=Yes", "--drop", "id"])).unwrap();
    assert_eq!(report.skipped_rows, 1);
    assert_eq!(report.train_rows + report.test_rows, 29);
    let strict = run(&args(f.path(), &["--label", "churn=Yes", "--strict"]));
    assert!(matches!(strict, Err(ScoreError::Input(_))));
}

#[test]
fn evaluate_on_a_frame_matches_the_metrics_of_its_predictions() {
    let f = file(&csv(',', true));
    let table = rapport_core::table::read_table_file(f.path(), &Default::default()).unwrap();
    let columns = table.header.clone().unwrap();
    let rows = table
        .rows
        .iter()
        .map(|r| r.fields.iter().map(|c| Value::from_cell(c)).collect())
        .collect();
    let frame = Frame::new(columns, rows).unwrap();
    let mut spec = TrainSpec::new(LabelSpec::parse("churn=Yes").unwrap());
    spec.exclude.push("id".into());
    let params = LogisticParams::default();
    let report = evaluate(&frame, &spec, &params).unwrap();
    let test: Vec<usize> = (0..30).filter(|i| i % 5 == 4).collect();
    let train: Vec<usize> = (0..30).filter(|i| i % 5 != 4).collect();
    let model = LogisticModel::fit(&frame.select_rows(&train), &spec, &params).unwrap();
    let p: Vec<f64> = model
        .predict_frame(&frame.select_rows(&test))
        .unwrap()
        .iter()
        .map(|p| p.probability)
        .collect();
    let y: Vec<bool> = test.iter().map(|&i| ![4].contains(&i)).collect();
    assert_eq!(report.log_loss, metrics::log_loss(&p, &y).unwrap());
    assert_eq!(report.roc_auc, metrics::roc_auc(&p, &y));
    assert_eq!(report.accuracy, metrics::accuracy(&p, &y, 0.5).unwrap());
}
