//! The retention pruner: deletes what the service no longer needs once it is
//! old enough: replies kept for idempotent retries, finished webhook
//! deliveries and their attempts, sign-in attempts past every rate-limit
//! window, expired refresh tokens, and inactive models beyond the newest few
//! per engine. Deletes are idempotent, so every replica may run it.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::config::RetentionSettings;
use crate::domain::DomainError;
use crate::entities::{
    exposure, idempotency_key, login_attempt, model, refresh_token, webhook_attempt,
    webhook_delivery,
};
use crate::workers;

/// How long an expired refresh token is kept (reuse of an expired token is
/// refused as expired anyway; the day covers clock skew between replicas).
const EXPIRED_TOKENS_KEPT: TimeDelta = TimeDelta::days(1);

/// What one round deleted, per kind of row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Stored idempotent replies.
    pub idempotency_keys: u64,
    /// Finished webhook deliveries (their attempts go with them).
    pub deliveries: u64,
    /// Sign-in attempts.
    pub login_attempts: u64,
    /// Expired refresh tokens.
    pub refresh_tokens: u64,
    /// Inactive models (their stored bytes go with them).
    pub models: u64,
    /// Served lists.
    pub exposures: u64,
}

/// Starts the periodic pruning.
pub fn spawn(db: DatabaseConnection, settings: RetentionSettings) {
    let interval = Duration::from_millis(settings.prune_interval_ms);
    workers::every("retention", interval, move || {
        let (db, settings) = (db.clone(), settings.clone());
        async move {
            let pruned = prune(&db, &settings, Utc::now()).await?;
            if pruned != Pruned::default() {
                tracing::info!(?pruned, "retention pruned old rows");
            }
            Ok(())
        }
    });
}

fn hours_before(now: DateTime<Utc>, hours: u64) -> DateTime<Utc> {
    let hours = i64::try_from(hours).unwrap_or(i64::MAX);
    now - TimeDelta::try_hours(hours).unwrap_or(TimeDelta::MAX)
}

/// One round, with `now` as the clock.
pub async fn prune(
    db: &DatabaseConnection,
    settings: &RetentionSettings,
    now: DateTime<Utc>,
) -> Result<Pruned, DomainError> {
    let keys_before = hours_before(now, settings.retain_idempotency_hours);
    let idempotency_keys = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(keys_before))
        .exec(db)
        .await?
        .rows_affected;

    let deliveries_before = hours_before(now, settings.retain_deliveries_days * 24);
    let finished = Query::select()
        .column(webhook_delivery::Column::Id)
        .from(webhook_delivery::Entity)
        .and_where(webhook_delivery::Column::Status.ne("pending"))
        .and_where(webhook_delivery::Column::UpdatedAt.lt(deliveries_before))
        .to_owned();
    webhook_attempt::Entity::delete_many()
        .filter(webhook_attempt::Column::DeliveryId.in_subquery(finished))
        .exec(db)
        .await?;
    let deliveries = webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::Status.ne("pending"))
        .filter(webhook_delivery::Column::UpdatedAt.lt(deliveries_before))
        .exec(db)
        .await?
        .rows_affected;

    let attempts_before = hours_before(now, settings.retain_login_attempts_hours);
    let login_attempts = login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::AttemptedAt.lt(attempts_before))
        .exec(db)
        .await?
        .rows_affected;

    let refresh_tokens = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(now - EXPIRED_TOKENS_KEPT))
        .exec(db)
        .await?
        .rows_affected;

    let models = prune_models(db, settings.retain_models).await?;
    let exposures_before = hours_before(now, settings.retain_exposures_days * 24);
    let exposures = exposure::Entity::delete_many()
        .filter(exposure::Column::CreatedAt.lt(exposures_before))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Pruned {
        exposures,
        idempotency_keys,
        deliveries,
        login_attempts,
        refresh_tokens,
        models,
    })
}

/// Deletes every inactive model of each engine but the `kept` newest,
/// except those the arms of unfinished experiments serve.
async fn prune_models(db: &DatabaseConnection, kept: u64) -> Result<u64, DomainError> {
    let pinned: Vec<Uuid> = crate::services::experiments::unfinished(db)
        .await?
        .iter()
        .flat_map(|x| x.arms.iter().filter_map(|a| a.model_id))
        .collect();
    let engines: Vec<String> = model::Entity::find()
        .select_only()
        .column(model::Column::Engine)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut deleted = 0;
    for engine in engines {
        let newest_first: Vec<Uuid> = model::Entity::find()
            .select_only()
            .column(model::Column::Id)
            .filter(model::Column::Engine.eq(&engine))
            .filter(model::Column::Active.eq(false))
            .order_by_desc(model::Column::CreatedAt)
            .order_by_desc(model::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let kept = usize::try_from(kept).unwrap_or(usize::MAX);
        let old: Vec<Uuid> = newest_first
            .into_iter()
            .skip(kept)
            .filter(|id| !pinned.contains(id))
            .collect();
        if old.is_empty() {
            continue;
        }
        // Re-checked at delete time: a model activated meanwhile stays.
        deleted += model::Entity::delete_many()
            .filter(model::Column::Id.is_in(old))
            .filter(model::Column::Active.eq(false))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(deleted)
}
