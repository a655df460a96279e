//! Tuning a recommender on the database's data (`POST /engines/{name}/tune`,
//! `rapport tune`, `RAPPORT_TUNE_EVERY`): the seeded search of
//! [`rapport_tune`] over one engine's published ranges, or every
//! recommender's (`auto`), scored on the validation part of the training
//! data; the winner refitted and scored on test once, then fitted on all
//! data as any trained model is; and the promotion rule against the active
//! model, refitted on the same validation split.

use std::sync::Arc;

use rapport_core::{DynRecommender, KindWeights};
use rapport_engines::{Engine, registry};
use rapport_tune::{Decision, Metric, TuneOptions, TuneReport};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::catalogue::{self, EngineKind};
use super::train::{
    self, RawParams, TrainError, Trained, blocking, fit_for_serving, recommender_metrics, refused,
};
use crate::entities::model;

/// Told each stage of a long job: the share done (0 to 1) and what is running.
pub type Progress = Arc<dyn Fn(f64, &str) + Send + Sync>;

/// The engine name that searches every recommender.
pub const AUTO: &str = "auto";

/// Most trials one search may run.
pub const MAX_TRIALS: usize = 200;

/// What a tuning job searches, as stored with the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneSettings {
    /// Trials in all (1 to [`MAX_TRIALS`]).
    pub trials: usize,
    /// The validation metric at 10 that ranks trials and decides promotion.
    pub metric: Metric,
    /// How much better (relative) the winner must be than the active model.
    pub margin: f64,
    /// Seed of the search: the same seed on the same data gives the same trials.
    pub seed: u64,
    /// The engine whose active model a winner of `auto` must beat (the
    /// default engine when the search was asked for).
    pub baseline_engine: Option<String>,
}

impl Default for TuneSettings {
    fn default() -> Self {
        let options = TuneOptions::default();
        Self {
            trials: options.trials,
            metric: options.metric,
            margin: options.margin,
            seed: options.seed,
            baseline_engine: None,
        }
    }
}

/// A tuned model ready to be stored, and the promotion decision.
pub struct Tuned {
    pub trained: Trained,
    /// Whether the winner beat the active model (always true when there is
    /// none), and why.
    pub decision: Decision,
}

/// Every registered recommender.
fn recommenders() -> Vec<&'static dyn DynRecommender> {
    registry()
        .engines()
        .filter_map(|e| match e {
            Engine::Recommender(r) => Some(r),
            Engine::Scorer(_) | Engine::Segmenter(_) => None,
        })
        .collect()
}

/// Checks a search request: `auto` or a recommender that publishes search
/// ranges, trials within bounds, a margin in `0..=1`.
pub fn validate(name: &str, settings: &TuneSettings) -> Result<(), TrainError> {
    if name != AUTO {
        let Some(engine) = registry().recommender(name) else {
            return Err(refused(format!(
                "`{name}` is not a recommender; tune `{AUTO}` or one of {}",
                searchable_names().join(", ")
            )));
        };
        if !rapport_tune::searchable(&engine.describe()) {
            return Err(refused(format!("`{name}` publishes no search range")));
        }
    }
    if !(1..=MAX_TRIALS).contains(&settings.trials) {
        return Err(refused(format!(
            "trials must be between 1 and {MAX_TRIALS}"
        )));
    }
    if !(0.0..=1.0).contains(&settings.margin) {
        return Err(refused("margin must be between 0 and 1"));
    }
    Ok(())
}

/// The recommenders a search can name.
fn searchable_names() -> Vec<&'static str> {
    recommenders()
        .into_iter()
        .filter(|e| rapport_tune::searchable(&e.describe()))
        .map(|e| e.name())
        .collect()
}

/// The engine and parameters of the active model a winner must beat: the
/// tuned engine's, or for `auto` the baseline engine's.
async fn incumbent(
    db: &DatabaseConnection,
    name: &str,
    settings: &TuneSettings,
) -> Result<Option<(String, RawParams)>, TrainError> {
    let engine = match (name, &settings.baseline_engine) {
        (AUTO, Some(engine)) => engine.as_str(),
        (AUTO, None) => return Ok(None),
        (engine, _) => engine,
    };
    let Some(row) = model::Entity::find()
        .filter(model::Column::Engine.eq(engine))
        .filter(model::Column::Active.eq(true))
        .one(db)
        .await
        .map_err(anyhow::Error::from)?
    else {
        return Ok(None);
    };
    if registry().recommender(&row.engine).is_none() {
        return Ok(None);
    }
    let params = row
        .params
        .as_object()
        .map(catalogue::raw_params)
        .transpose()
        .map_err(|name| anyhow::anyhow!("model {} parameter `{name}` is unreadable", row.id))?
        .unwrap_or_default();
    Ok(Some((row.engine, params)))
}

/// Runs the search `name` (an engine or `auto`) asks for on the database's
/// data; `progress` is told each stage.
pub async fn tune(
    db: &DatabaseConnection,
    weights: &KindWeights,
    name: &str,
    settings: &TuneSettings,
    memory_budget: u64,
    progress: Progress,
) -> Result<Tuned, TrainError> {
    validate(name, settings)?;
    progress(0.02, "loading data");
    let data = train::recommender_data(db, weights, None).await?;
    let baseline = incumbent(db, name, settings).await?;
    let options = TuneOptions {
        trials: settings.trials,
        metric: settings.metric,
        margin: settings.margin,
        seed: settings.seed,
        // Leave a core to serving.
        threads: std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1).max(1)),
        max_fit_bytes: Some(memory_budget),
        ..TuneOptions::default()
    };
    let name = name.to_owned();
    let (report, stored, stats) = blocking(move || {
        let all = recommenders();
        let engines = match registry().recommender(&name) {
            Some(engine) => vec![engine],
            None => rapport_tune::candidates(&all, &data.dataset),
        };
        let baseline = baseline.as_ref().and_then(|(engine, raw)| {
            Some((registry().recommender(engine)?, train::to_params(raw)))
        });
        let baseline_ref = baseline.as_ref().map(|(e, p)| (*e, p));
        let report = rapport_tune::tune(
            &engines,
            &data.dataset,
            &options,
            baseline_ref,
            &|done, total| {
                let share = done as f64 / total.max(1) as f64;
                progress(0.05 + 0.85 * share, &format!("fit {done} of {total}"));
            },
        )?;
        let winner = registry()
            .recommender(&report.winner.engine)
            .ok_or_else(|| rapport_core::EngineError::Internal("winner not registered".into()))?;
        let stats = data.stats.clone();
        let stored = fit_for_serving(winner, &report.winner.to_params(), data)?;
        Ok((report, stored, stats))
    })
    .await?;
    let winner = report.winner.engine.clone();
    let engine = registry()
        .recommender(&winner)
        .ok_or_else(|| refused(format!("no engine named `{winner}`")))?;
    let mut metrics = recommender_metrics(engine, &report.test)?;
    let decision = decision(&report);
    if let Some(metrics) = metrics.as_object_mut() {
        metrics.insert("tuning".to_owned(), summary(&report, &decision));
    }
    Ok(Tuned {
        trained: Trained {
            engine: winner.clone(),
            kind: EngineKind::Recommender,
            params: catalogue::typed_params(&winner, &report.winner.params),
            stats,
            metrics,
            bytes: stored.to_bytes()?,
        },
        decision,
    })
}

/// The promotion decision of a search: the baseline's, or promotion when
/// there was no active model to beat.
fn decision(report: &TuneReport) -> Decision {
    match &report.baseline {
        Some(baseline) => baseline.decision.clone(),
        None => Decision {
            promote: true,
            reason: "there is no active model to beat".to_owned(),
            candidate: report.metric.of(&report.validation),
            baseline: 0.0,
        },
    }
}

/// What a tuned model stores of its search: the winner and its validation
/// metrics, the trial table, the baseline and the decision.
fn summary(report: &TuneReport, decision: &Decision) -> Value {
    json!({
        "metric": report.metric,
        "seed": report.seed,
        "winner": report.winner,
        "validation": report.validation,
        "trials": report.trials,
        "baseline": report.baseline,
        "decision": decision,
        "inner_train_rows": report.inner_train_rows,
        "validation_rows": report.validation_rows,
        "wall_secs": report.wall_secs,
    })
}
