//! Scheduled tuning (`RAPPORT_TUNE_EVERY`): queues a search of every
//! recommender (`auto`) that activates its winner only when it beats the
//! active default model. Replicas take turns under one database-wide lock,
//! and a search is queued only when none was in the last period, so one
//! runs per period whatever the number of replicas.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::domain::DomainError;
use crate::entities::job;
use crate::ml::jobs;
use crate::ml::tuning::{AUTO, TuneSettings};
use crate::workers;

/// Starts the schedule: every `period`, a search with `trials` trials.
pub fn spawn(db: DatabaseConnection, period: Duration, trials: usize, default_engine: String) {
    // Looked at more often than the period, so a replica that starts just
    // after another's search does not wait a whole period more.
    let check = (period / 10).clamp(Duration::from_secs(1), Duration::from_secs(600));
    workers::every("scheduled-tuning", check, move || {
        let db = db.clone();
        let settings = TuneSettings {
            trials,
            baseline_engine: Some(default_engine.clone()),
            ..TuneSettings::default()
        };
        async move { queue_if_due(&db, period, &settings).await.map(|_| ()) }
    });
}

/// Queues a search unless one was queued within `period`; true when queued.
pub async fn queue_if_due(
    db: &DatabaseConnection,
    period: Duration,
    settings: &TuneSettings,
) -> Result<bool, DomainError> {
    let since = chrono::Duration::from_std(period)
        .ok()
        .and_then(|p| Utc::now().checked_sub_signed(p))
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
    let txn = crate::db::begin_write(db).await?;
    crate::db::serialise(&txn, "scheduled-tuning").await?;
    let recent = job::Entity::find()
        .filter(job::Column::Kind.eq(jobs::kind::TUNE))
        .filter(job::Column::Engine.eq(AUTO))
        .filter(job::Column::RequestedBy.is_null())
        .filter(job::Column::CreatedAt.gte(since))
        .count(&txn)
        .await?;
    if recent > 0 {
        return Ok(false);
    }
    jobs::enqueue(&txn, jobs::NewJob::tuning(AUTO, settings, true), None).await?;
    txn.commit().await?;
    tracing::info!(trials = settings.trials, "scheduled tuning queued");
    Ok(true)
}
