//! `rapport eval`: the offline protocol straight on CSV files, no database.

use clap::{Parser, Subcommand};
use rapport_engines::EvalArgs;
use rapport_logistic::ScorerEvalArgs;

/// Which engine to evaluate.
#[derive(Debug, Subcommand)]
pub enum EvalTarget {
    /// The logistic scorer on a customers file (`--customers FILE --label COL[=POSITIVE]`).
    Logistic(ScorerEvalArgs),
    /// A recommender (popularity, item_item, user_user, ease, content) on an
    /// interactions file: `rapport eval ENGINE --interactions FILE --map ...`;
    /// see `rapport eval item_item --help`.
    #[command(external_subcommand)]
    Recommender(Vec<String>),
}

#[derive(Parser)]
#[command(name = "rapport eval")]
struct RecommenderEval {
    #[command(flatten)]
    args: EvalArgs,
}

/// Runs the evaluation and prints its report on standard output.
pub fn run(target: EvalTarget) -> Result<(), anyhow::Error> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match target {
        EvalTarget::Logistic(args) => {
            rapport_logistic::run_scorer_eval(&args, &mut out)?;
        }
        EvalTarget::Recommender(argv) => {
            let parsed = RecommenderEval::try_parse_from(
                std::iter::once("rapport eval".to_owned()).chain(argv),
            )
            .unwrap_or_else(|e| e.exit());
            rapport_engines::run_eval(&parsed.args, &mut out)?;
        }
    }
    Ok(())
}
