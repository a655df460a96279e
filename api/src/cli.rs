//! The `rapport` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{
    self,
    eval::EvalTarget,
    import::ImportArgs,
    train::{TrainArgs, WorkerArgs},
};
use crate::config::{DatabaseSettings, Settings};
use crate::startup::Application;
use crate::{db, openapi, telemetry};

/// Rapport: a self-hosted, intelligent CRM backend.
#[derive(Debug, Parser)]
#[command(name = "rapport", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations, create the first admin and serve the API (Swagger UI at /docs).
    Serve(Box<Settings>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseSettings),
    /// Run the offline evaluation protocol on CSV files (no database).
    #[command(subcommand)]
    Eval(EvalTarget),
    /// Train an engine on the database's data in the foreground and store the model.
    Train(Box<TrainArgs>),
    /// Run queued training jobs (for deployments that keep training off the API replicas).
    Worker(Box<WorkerArgs>),
    /// Import customers, items or interactions from a CSV file (or a known data set).
    Import(Box<ImportArgs>),
    /// Print the OpenAPI document, or write it to a file.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

async fn run(cli: Cli) -> Result<(), anyhow::Error> {
    match cli.command {
        Command::Serve(settings) => {
            telemetry::init_logging(&settings.log, settings.log_format);
            let app = Application::build(*settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Eval(target) => commands::eval::run(target)?,
        Command::Train(args) => {
            telemetry::init_logging("warn", crate::config::LogFormat::Text);
            commands::train::train(*args).await?;
        }
        Command::Worker(args) => {
            telemetry::init_logging("info", crate::config::LogFormat::Text);
            commands::train::worker(*args).await?;
        }
        Command::Import(args) => {
            telemetry::init_logging("warn", crate::config::LogFormat::Text);
            commands::import::run(*args).await?;
        }
        Command::Migrate(database) => {
            let db = db::connect(&database).await?;
            db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::Openapi { output } => {
            let json = openapi::to_json()?;
            match output {
                Some(path) => std::fs::write(&path, json)?,
                None => print!("{json}"),
            }
        }
    }
    Ok(())
}

/// Parses the command line and runs the command; errors are printed, not panicked.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = actix_web::rt::System::new().block_on(run(cli));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
