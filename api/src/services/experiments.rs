//! Running A/B experiments between recommendation models: create (arms
//! checked against the registry and the stored models, at most one running
//! per placement), stop, each audited and noted for this replica's serving.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{CacheNote, Context, events};
use crate::domain::experiment::{ExperimentFields, ExperimentRecord};
use crate::domain::{DomainError, ErrorCode};
use crate::entities::{experiment, model};
use crate::ml::{EngineKind, engine_kind};

/// An experiment by key, or not found.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> Result<ExperimentRecord, DomainError> {
    let row = experiment::Entity::find()
        .filter(experiment::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("experiment"))?;
    record(row)
}

/// A stored experiment as a record.
pub fn record(row: experiment::Model) -> Result<ExperimentRecord, DomainError> {
    ExperimentRecord::try_from(row).map_err(DomainError::Internal)
}

/// Every experiment that has not ended, oldest first.
pub async fn unfinished(db: &impl ConnectionTrait) -> Result<Vec<ExperimentRecord>, DomainError> {
    let rows = experiment::Entity::find()
        .filter(experiment::Column::StoppedAt.is_null())
        .all(db)
        .await?;
    let now = Utc::now();
    let mut out = rows
        .into_iter()
        .map(record)
        .collect::<Result<Vec<_>, _>>()?;
    out.retain(|x| x.status(now) != "ended");
    out.sort_by_key(|x| (x.starts_at, x.id));
    Ok(out)
}

/// The experiments with an arm that served model `id` of `engine`: named
/// by id, or (while it is active) as its engine's active model.
pub async fn served(
    db: &impl ConnectionTrait,
    id: Uuid,
    engine: &str,
    active: bool,
) -> Result<Vec<ExperimentRecord>, DomainError> {
    let rows = experiment::Entity::find().all(db).await?;
    let all = rows
        .into_iter()
        .map(record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(all
        .into_iter()
        .filter(|x| {
            x.arms.iter().any(|a| {
                a.model_id == Some(id) || (active && a.model_id.is_none() && a.engine == engine)
            })
        })
        .collect())
}

/// Checks the fields, each arm's engine and model, and that no other
/// experiment splits the same lists at the same time.
async fn check(db: &impl ConnectionTrait, fields: &ExperimentFields) -> Result<(), DomainError> {
    fields.check()?;
    for (i, arm) in fields.arms.iter().enumerate() {
        if engine_kind(&arm.engine) != Some(EngineKind::Recommender) {
            return Err(DomainError::invalid(
                format!("arms[{i}].engine"),
                "no recommendation engine of that name",
            ));
        }
        if let Some(id) = arm.model_id {
            let stored = model::Entity::find_by_id(id).one(db).await?;
            if stored.is_none_or(|m| m.engine != arm.engine) {
                return Err(DomainError::invalid(
                    format!("arms[{i}].model_id"),
                    "no model of the arm's engine has this id",
                ));
            }
        }
    }
    let placement = fields.placement.as_deref();
    if let Some(other) = unfinished(db)
        .await?
        .into_iter()
        .find(|x| x.overlaps(placement, fields.starts_at, fields.ends_at))
    {
        return Err(DomainError::Conflict {
            code: ErrorCode::ExperimentOverlap,
            detail: format!(
                "experiment `{}` splits the same lists in the same period; stop it or choose \
                 another placement or period",
                other.key
            ),
        });
    }
    Ok(())
}

/// Creates an experiment inside `txn` (which may hold an idempotency claim).
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    fields: ExperimentFields,
) -> Result<ExperimentRecord, DomainError> {
    crate::db::serialise(txn, "experiments").await?;
    check(txn, &fields).await?;
    let key_taken = experiment::Entity::find()
        .filter(experiment::Column::Key.eq(&fields.key))
        .one(txn)
        .await?
        .is_some();
    if key_taken {
        return Err(DomainError::Conflict {
            code: ErrorCode::Conflict,
            detail: format!("an experiment with key `{}` exists", fields.key),
        });
    }
    let now = Utc::now();
    let arms = serde_json::to_value(&fields.arms).map_err(|e| DomainError::Internal(e.into()))?;
    let row = experiment::ActiveModel {
        id: Set(Uuid::now_v7()),
        key: Set(fields.key),
        name: Set(fields.name),
        arms: Set(arms),
        placement: Set(fields.placement),
        starts_at: Set(fields.starts_at),
        ends_at: Set(fields.ends_at),
        stopped_at: Set(None),
        version: Set(1),
        created_by: Set(ctx.caller.map(|(caller, _)| caller.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let created = record(
        experiment::Entity::insert(row)
            .exec_with_returning(txn)
            .await?,
    )?;
    events::audit_config(
        txn,
        &ctx.actor,
        "experiment.create",
        "experiment",
        created.id,
        None::<&ExperimentRecord>,
        Some(&created),
    )
    .await?;
    ctx.note(|| CacheNote::Experiment(Box::new(created.clone())));
    Ok(created)
}

/// Stops experiment `key` now; serving returns to the active models.
/// Stopping a stopped or ended experiment changes nothing.
pub async fn stop(ctx: &Context<'_>, key: &str) -> Result<ExperimentRecord, DomainError> {
    let txn = ctx.begin().await?;
    let before = find(&txn, key).await?;
    let now = Utc::now();
    if before.status(now) == "ended" {
        return Ok(before);
    }
    experiment::Entity::update_many()
        .set(experiment::ActiveModel {
            stopped_at: Set(Some(now)),
            version: Set(before.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(experiment::Column::Id.eq(before.id))
        .exec(&txn)
        .await?;
    let after = find(&txn, key).await?;
    events::audit_config(
        &txn,
        &ctx.actor,
        "experiment.stop",
        "experiment",
        after.id,
        Some(&before),
        Some(&after),
    )
    .await?;
    ctx.note(|| CacheNote::Experiment(Box::new(after.clone())));
    ctx.commit(txn).await?;
    Ok(after)
}
