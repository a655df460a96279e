//! `rapport train` (foreground, same code path as a job) and `rapport worker`.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{DatabaseSettings, TrainingLimits, WeightOverrides};
use crate::db;
use crate::ml::jobs;
use crate::ml::serving::ModelCache;
use crate::ml::train::{self, RawParams};
use crate::ml::weights::InteractionWeights;

/// Arguments of `rapport train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Engine to train (see `GET /engines`).
    pub engine: String,
    /// Parameter override, name=value (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = super::parse_param)]
    pub params: Vec<(String, String)>,
    /// Activate the model when training succeeds.
    #[arg(long)]
    pub activate: bool,
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// Implicit-feedback weights, as for `rapport serve`.
    #[arg(long, env = "RAPPORT_INTERACTION_WEIGHTS", default_value = "", value_parser = crate::config::parse_weights)]
    pub interaction_weights: WeightOverrides,
}

/// Arguments of `rapport worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub training: TrainingLimits,
    /// Implicit-feedback weights, as for `rapport serve`.
    #[arg(long, env = "RAPPORT_INTERACTION_WEIGHTS", default_value = "", value_parser = crate::config::parse_weights)]
    pub interaction_weights: WeightOverrides,
}

/// Trains in the foreground with a progress bar, stores the model and prints its metrics.
pub async fn train(args: TrainArgs) -> Result<(), anyhow::Error> {
    let params: RawParams = args.params.iter().cloned().collect();
    let weights = InteractionWeights::new(&args.interaction_weights)?.to_kind_weights();
    let db = db::connect(&args.database).await?;
    db::migrate(&db).await?;
    let bar = ProgressBar::new(100);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {msg}",
    )?);
    let progress = |p: f64, stage: &str| {
        bar.set_position((p * 100.0) as u64);
        bar.set_message(stage.to_owned());
    };
    let trained = train::train(&db, &weights, &args.engine, &params, &progress)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let metrics = trained.metrics.clone();
    let row = jobs::store(&db, trained, None, args.activate).await?;
    bar.finish_with_message("done");
    println!(
        "model {} ({}){}",
        row.id,
        row.engine,
        if args.activate { ", active" } else { "" }
    );
    println!("{}", serde_json::to_string_pretty(&metrics)?);
    Ok(())
}

/// Runs queued training jobs until interrupted.
pub async fn worker(args: WorkerArgs) -> Result<(), anyhow::Error> {
    let weights = InteractionWeights::new(&args.interaction_weights)?.to_kind_weights();
    let db = db::connect(&args.database).await?;
    db::migrate(&db).await?;
    jobs::spawn_worker(
        db,
        weights,
        args.training.memory_bytes(),
        Arc::new(ModelCache::default()),
        Duration::from_secs(1),
    );
    tracing::info!("worker running; Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
