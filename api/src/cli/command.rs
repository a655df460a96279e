//! The `rapport` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sea_orm::TransactionTrait;

use super::{
    eval::{self, EvalTarget},
    import::{self, ImportArgs},
    keys::{self, RotateKeysArgs},
    train::{self, TrainArgs, WorkerArgs},
    tune::{self, TuneArgs},
};
use crate::auth::password;
use crate::config::{DatabaseSettings, Settings};
use crate::domain::DomainError;
use crate::domain::user::NewUser;
use crate::http::startup::Application;
use crate::policy::Role;
use crate::services::audit::Actor;
use crate::services::{Context, users};
use crate::{db, http::openapi, telemetry};

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
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Run the offline evaluation protocol on CSV files (no database).
    #[command(subcommand)]
    Eval(EvalTarget),
    /// Train an engine on the database's data in the foreground and store the model.
    Train(Box<TrainArgs>),
    /// Search a recommender's parameters (or every recommender's: `auto`) on
    /// the database's data in the foreground and store the winner.
    Tune(Box<TuneArgs>),
    /// Run queued training jobs (for deployments that keep training off the API replicas).
    Worker(Box<WorkerArgs>),
    /// Import customers, items or interactions from a CSV file (or a known data set).
    Import(Box<ImportArgs>),
    /// Re-seal every stored secret under a new master key (stop the service first).
    RotateKeys(Box<RotateKeysArgs>),
    /// Print the OpenAPI document, or write it to a file.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user and print a one-time password, to change at first sign-in.
    Create(UserCreate),
}

/// Arguments of `rapport user create`.
#[derive(Debug, Args)]
pub struct UserCreate {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// E-mail address (unique, case-insensitive).
    #[arg(long)]
    pub email: String,
    /// Role: admin, manager, sales, marketing, support, analyst or integration.
    #[arg(long)]
    pub role: Role,
    /// Department, used by workflow steps.
    #[arg(long)]
    pub department: Option<String>,
    /// Display name (defaults to the e-mail address).
    #[arg(long)]
    pub name: Option<String>,
}

/// Creates a user with a generated one-time password, which the user must
/// change at first sign-in; returns the stored e-mail and the password,
/// which is shown once and never stored in clear.
pub async fn create_user(args: UserCreate) -> Result<(String, String), anyhow::Error> {
    let db = db::connect(&args.database).await?;
    db::migrate(&db).await?;
    let password = password::generate();
    let new = NewUser {
        name: args.name.unwrap_or_else(|| args.email.clone()),
        email: args.email,
        role: args.role,
        department: args.department,
        password: password.clone(),
        must_change_password: true,
    };
    let ctx = Context::for_system(&db, Actor::cli());
    let txn = db.begin().await?;
    let user = users::create(&ctx, &txn, new).await.map_err(describe)?;
    txn.commit().await?;
    Ok((user.email, password))
}

/// An API error as a command-line message (field errors listed).
fn describe(err: DomainError) -> anyhow::Error {
    match err {
        DomainError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        DomainError::Internal(cause) => cause,
        other => anyhow::anyhow!("{other}"),
    }
}

async fn run(cli: Cli) -> Result<(), anyhow::Error> {
    match cli.command {
        Command::Serve(settings) => {
            telemetry::init_logging(&settings.log, settings.log_format);
            let app = Application::build(*settings).await?;
            app.run_until_stopped().await?;
        }
        Command::Eval(target) => eval::run(target)?,
        Command::Train(args) => {
            telemetry::init_logging("warn", crate::config::LogFormat::Text);
            train::train(*args).await?;
        }
        Command::Tune(args) => {
            telemetry::init_logging("warn", crate::config::LogFormat::Text);
            tune::tune(*args).await?;
        }
        Command::Worker(args) => {
            telemetry::init_logging("info", crate::config::LogFormat::Text);
            train::worker(*args).await?;
        }
        Command::Import(args) => {
            telemetry::init_logging("warn", crate::config::LogFormat::Text);
            import::run(*args).await?;
        }
        Command::RotateKeys(args) => {
            telemetry::init_logging("warn", crate::config::LogFormat::Text);
            let rotated = keys::rotate_keys(*args).await?;
            println!("{}", keys::report(&rotated));
        }
        Command::Migrate(database) => {
            let db = db::connect(&database).await?;
            db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::User {
            command: UserCommand::Create(args),
        } => {
            let role = args.role;
            let (email, password) = create_user(args).await?;
            println!(
                "Created {email} ({role}). One-time password: {password} (shown once; it must be changed at first sign-in, with POST /api/v1/me/password)"
            );
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
