//! `cargo run -p rapport-logistic --example eval -- --customers FILE --label COL[=POSITIVE] ...`:
//! the scorer evaluation of `rapport eval logistic`, without the service binary.

use std::process::ExitCode;

use clap::Parser;
use rapport_logistic::{ScorerEvalArgs, run_scorer_eval};

#[derive(Parser)]
#[command(about = "Evaluate the logistic scorer on a customer CSV (DESIGN.md §5 split)")]
struct Cli {
    #[command(flatten)]
    args: ScorerEvalArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    match run_scorer_eval(&cli.args, &mut stdout.lock()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
