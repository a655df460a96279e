//! `rapport eval ENGINE --tune` and `rapport eval auto --tune`: the seeded
//! hyper-parameter search of `rapport-tune` on an interactions file, one
//! engine or every recommender the data can feed, with the winner's
//! validation and test metrics, the trial table and the wall time.

use std::io::Write;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rapport_core::{DynRecommender, EngineError};
use rapport_engines::{Engine, registry};
use rapport_tune::{Metric, TuneOptions, TuneReport, candidates, searchable, tune};

use super::EvalError;
use super::recommender::{RecommenderEvalArgs, read_data};
use super::report::{Report, write_json, write_metrics_header, write_metrics_row};

/// The subcommand that tunes every recommender the data can feed.
pub const AUTO: &str = "auto";

/// The search options of `rapport eval RECOMMENDER` (and `auto`).
#[derive(Debug, Clone, Args)]
pub struct TuneArgs {
    /// Search the engine's published parameter ranges on a validation split
    /// carved out of train, then score the winner on test once.
    #[arg(long, conflicts_with_all = ["params", "dump_split"])]
    pub tune: bool,
    /// Trials in all (shared round-robin across engines with `auto`).
    #[arg(long, default_value_t = 30, requires = "tune",
          value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub trials: u16,
    /// Seed of the search; the same seed gives the same trials.
    #[arg(long, default_value_t = 42, requires = "tune")]
    pub seed: u64,
    /// Validation metric that picks the winner: ndcg, precision, recall or map.
    #[arg(long, default_value = "ndcg", requires = "tune", value_parser = str::parse::<Metric>)]
    pub metric: Metric,
    /// Trials fitted at once; 0 uses every core. Results do not depend on it.
    #[arg(long, default_value_t = 0, requires = "tune")]
    pub threads: usize,
}

/// Every registered recommender, in registration order.
fn recommenders() -> Vec<&'static dyn DynRecommender> {
    registry()
        .engines()
        .filter_map(|e| match e {
            Engine::Recommender(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// Tunes `engine` (every recommender the data can feed when `None`) on the
/// files as the arguments say and writes the outcome (or its JSON) to `out`;
/// a progress bar on standard error unless `--json`.
pub fn run(
    engine: Option<&'static dyn DynRecommender>,
    args: &RecommenderEvalArgs,
    out: &mut dyn Write,
) -> Result<(), EvalError> {
    if let Some(engine) = engine.filter(|e| !searchable(&e.describe())) {
        return Err(EngineError::InvalidData(format!(
            "engine `{}` publishes no parameter range to search",
            engine.name()
        ))
        .into());
    }
    let loaded = read_data(args)?;
    let engines = match engine {
        Some(engine) => vec![engine],
        None => candidates(&recommenders(), &loaded.data),
    };
    let options = TuneOptions {
        trials: usize::from(args.tune.trials),
        metric: args.tune.metric,
        k: usize::from(args.k),
        seed: args.tune.seed,
        threads: args.tune.threads,
        ..TuneOptions::default()
    };
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} fits {elapsed}") {
        bar.set_style(style);
    }
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = tune(&engines, &loaded.data, &options, None, &progress)?;
    bar.finish_and_clear();
    let written = if args.json {
        write_json(&report, out)
    } else {
        let test = Report::new(
            report.test.clone(),
            &report.winner.to_params(),
            &loaded.skipped,
        );
        write_text(&report, &test, out)
    };
    written.map_err(EvalError::report)
}

/// `name=value` pairs joined by spaces, or `defaults`.
fn params_text(params: &std::collections::BTreeMap<String, String>) -> String {
    if params.is_empty() {
        return "defaults".into();
    }
    let pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(" ")
}

/// The trial table, the winner's validation and test lines, the split and a
/// one-line summary.
fn write_text(report: &TuneReport, test: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let k = report.validation.k;
    let label = report.metric.label(k);
    writeln!(
        out,
        "{} trials, seed {}, ranked by validation {label}; fitted on {} inner-train rows, \
         scored on {} validation rows",
        report.trials.len(),
        report.seed,
        report.inner_train_rows,
        report.validation_rows
    )?;
    writeln!(
        out,
        "{:>5} {:<12} {:>8} {:>8}  params",
        "trial", "engine", label, "fit_s"
    )?;
    for t in &report.trials {
        let score = t.validation.map_or_else(
            || "failed".to_owned(),
            |m| format!("{:.4}", report.metric.of(&m)),
        );
        let params = params_text(&t.params);
        let error = t
            .error
            .as_ref()
            .map(|e| format!("  ({e})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{:>5} {:<12} {score:>8} {:>8.3}  {params}{error}",
            t.trial, t.engine, t.fit_secs
        )?;
    }
    let winner = &report.winner;
    let params = params_text(&winner.params);
    writeln!(out, "winner: {} {params}", winner.engine)?;
    write_metrics_header(out, "", k)?;
    write_metrics_row(out, "validation", &report.validation, None)?;
    let r = &report.test;
    write_metrics_row(out, "test", &r.metrics, Some((r.fit_secs, r.score_secs)))?;
    test.write_split(out)?;
    writeln!(
        out,
        "tuned: winner {} {params}; validation {label} {:.4}; test P@{k} {:.4} NDCG@{k} {:.4}; \
         wall {:.1} s",
        winner.engine,
        report.metric.of(&report.validation),
        r.metrics.precision,
        r.metrics.ndcg,
        report.wall_secs
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::EvalTarget;
    use super::*;

    #[derive(Parser)]
    #[command(name = "eval")]
    struct Cli {
        #[command(subcommand)]
        target: EvalTarget,
    }

    /// Two groups of six customers, each touching its group's eight items,
    /// one a day: 96 rows; per customer two to test, two to validation.
    fn log() -> String {
        let mut text = String::from("customer,item,occurred_at\n");
        for c in 0..12u32 {
            let group = c % 2;
            for t in 0..8u32 {
                let item = group * 8 + (t * 3 + c) % 8;
                text.push_str(&format!("c{c},i{item},{}\n", 1_700_000_000 + t * 86_400));
            }
        }
        text
    }

    fn run_cli(argv: &[&str]) -> Result<String, EvalError> {
        let Ok(Cli {
            target: EvalTarget::Tune(engine, args),
        }) = Cli::try_parse_from(argv)
        else {
            panic!("{argv:?} is not a tuning");
        };
        let mut out = Vec::new();
        run(engine, &args, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn auto_and_one_engine_tune_a_tiny_csv() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("log.csv");
        std::fs::write(&file, log()).unwrap();
        let path = file.to_str().unwrap();
        let base = [
            "eval",
            "auto",
            "--interactions",
            path,
            "--tune",
            "--trials",
            "8",
        ];
        let text = run_cli(&base).unwrap();
        assert!(
            text.contains("8 trials, seed 42, ranked by validation NDCG@10"),
            "{text}"
        );
        assert!(text.contains("winner: "), "{text}");
        assert!(
            text.contains("\nvalidation ") && text.contains("\ntest "),
            "{text}"
        );
        assert!(text.contains("train 72 rows, test 24 rows"), "{text}");
        assert!(
            text.lines().last().unwrap().starts_with("tuned: winner "),
            "{text}"
        );
        // Defaults first, one per engine the data feeds (no content, no baskets).
        assert!(
            text.contains("    1 popularity") && !text.contains("content"),
            "{text}"
        );

        let json = run_cli(&[
            "eval",
            "ease",
            "--interactions",
            path,
            "--tune",
            "--trials",
            "3",
            "--seed",
            "7",
            "--metric",
            "map",
            "--threads",
            "1",
            "--json",
        ])
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["winner"]["engine"], "ease");
        assert_eq!(v["metric"], "map");
        assert_eq!(v["seed"], 7);
        assert_eq!(v["trials"].as_array().unwrap().len(), 3);
        assert!(v["test"]["metrics"]["ndcg"].as_f64().is_some());
    }

    #[test]
    fn auto_needs_tune_and_tune_options_need_it_too() {
        let plain = Cli::try_parse_from(["eval", "auto", "--interactions", "f"]);
        assert!(
            plain
                .err()
                .unwrap()
                .to_string()
                .contains("only valid with --tune")
        );
        assert!(
            Cli::try_parse_from(["eval", "ease", "--interactions", "f", "--trials", "3"]).is_err()
        );
        let both = [
            "eval",
            "ease",
            "--interactions",
            "f",
            "--tune",
            "--param",
            "lambda=3",
        ];
        assert!(Cli::try_parse_from(both).is_err());
        let bad = [
            "eval",
            "ease",
            "--interactions",
            "f",
            "--tune",
            "--metric",
            "auc",
        ];
        assert!(Cli::try_parse_from(bad).is_err());
        let plain = Cli::try_parse_from(["eval", "ease", "--interactions", "f"]).unwrap();
        assert!(matches!(plain.target, EvalTarget::Recommender(..)));
    }
}
