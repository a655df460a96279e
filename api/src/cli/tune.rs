//! `rapport tune ENGINE|auto`: the search of `POST /engines/{name}/tune` in
//! the foreground (same code path as the job), with a progress bar; stores
//! the winner and, with `--activate-if-better`, activates it when it beats
//! the active model.

use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rapport_tune::Metric;

use crate::config::{DatabaseSettings, TrainingLimits, WeightOverrides};
use crate::db;
use crate::ml::jobs;
use crate::ml::tuning::{self, TuneSettings};
use crate::ml::weights::InteractionWeights;

/// Arguments of `rapport tune`.
#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Recommender to tune, or `auto` for every recommender.
    pub engine: String,
    /// Trials in all.
    #[arg(long, default_value_t = 30)]
    pub trials: usize,
    /// Validation metric at 10 ranking the trials: ndcg, precision, recall or map.
    #[arg(long, default_value = "ndcg")]
    pub metric: Metric,
    /// Relative improvement over the active model needed to activate the winner.
    #[arg(long, default_value_t = 0.01)]
    pub margin: f64,
    /// Seed of the search.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Activate the winner if it beats the active model of the same engine
    /// (for `auto`, of the default engine) on the same validation split.
    #[arg(long)]
    pub activate_if_better: bool,
    /// The engine whose active model a winner of `auto` must beat.
    #[arg(long, env = "RAPPORT_DEFAULT_ENGINE", default_value = "item_item")]
    pub default_engine: String,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub training: TrainingLimits,
    /// Implicit-feedback weights, as for `rapport serve`.
    #[arg(long, env = "RAPPORT_INTERACTION_WEIGHTS", default_value = "", value_parser = crate::config::parse_weights)]
    pub interaction_weights: WeightOverrides,
}

/// Tunes in the foreground, stores the winner, prints the decision and the
/// stored metrics.
pub async fn tune(args: TuneArgs) -> Result<(), anyhow::Error> {
    let weights = InteractionWeights::new(&args.interaction_weights)?.to_kind_weights();
    let settings = TuneSettings {
        trials: args.trials,
        metric: args.metric,
        margin: args.margin,
        seed: args.seed,
        baseline_engine: Some(args.default_engine.clone()),
    };
    tuning::validate(&args.engine, &settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = db::connect(&args.database).await?;
    db::migrate(&db).await?;
    let bar = ProgressBar::new(100);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {percent:>3}% {msg}",
    )?);
    let shown = bar.clone();
    let progress = Arc::new(move |p: f64, stage: &str| {
        shown.set_position((p * 100.0) as u64);
        shown.set_message(stage.to_owned());
    });
    let memory = args.training.memory_bytes();
    let tuned = tuning::tune(&db, &weights, &args.engine, &settings, memory, progress)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let activate = args.activate_if_better && tuned.decision.promote;
    let metrics = tuned.trained.metrics.clone();
    let row = jobs::store(&db, tuned.trained, None, activate).await?;
    bar.finish_with_message("done");
    println!(
        "model {} ({}){}: {}",
        row.id,
        row.engine,
        if activate { ", active" } else { "" },
        tuned.decision.reason
    );
    println!("{}", serde_json::to_string_pretty(&metrics)?);
    Ok(())
}
