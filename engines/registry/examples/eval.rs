//! `cargo run --release -p rapport-engines --example eval -- ENGINE --interactions FILE ...`:
//! the offline evaluation without the service binary.

use std::process::ExitCode;

use clap::Parser;
use rapport_engines::{EvalArgs, run_eval};

/// Offline evaluation of a recommendation engine on CSV files.
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: EvalArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run_eval(&cli.args, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
