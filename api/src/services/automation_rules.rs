//! Defining automations: create, change and delete, each checked against
//! the workflows it starts, version-checked and audited, for every writer.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::workflow_engine::{self as engine, Pinned};
use super::{Context, events, records};
use crate::domain::automation::{AutomationChanges, AutomationFields, AutomationRecord};
use crate::domain::{DomainError, IfMatch};
use crate::entities::automation::{self, Column};

/// An automation row, or not found.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<automation::Model, DomainError> {
    automation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("automation"))
}

/// A stored automation as a record (an unreadable trigger is an internal error).
pub fn record(row: automation::Model) -> Result<AutomationRecord, DomainError> {
    let when = serde_json::from_value(row.trigger).map_err(|e| {
        DomainError::Internal(
            anyhow::Error::new(e).context(format!("automation {} trigger", row.id)),
        )
    })?;
    Ok(AutomationRecord {
        id: row.id,
        name: row.name,
        when,
        workflow_key: row.workflow_key,
        assignee_id: row.assignee_id,
        active: row.active,
        version: row.version,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Checks `fields` (the workflow must exist; the assignee must be able to
/// act on its initial step) and returns the columns they set.
async fn columns(
    db: &impl ConnectionTrait,
    fields: &AutomationFields,
) -> Result<automation::ActiveModel, DomainError> {
    fields.check()?;
    let pinned = match engine::latest_definition(db, &fields.workflow_key).await? {
        Some(row) => Pinned::new(row)?,
        None => {
            return Err(DomainError::invalid(
                "then.workflow_key",
                "no such workflow",
            ));
        }
    };
    if let Some(assignee) = fields.assignee_id {
        let department = pinned.department(&pinned.definition.initial_step);
        engine::check_assignee(db, "then.assignee_id", assignee, department.as_deref()).await?;
    }
    let trigger =
        serde_json::to_value(&fields.when).map_err(|e| DomainError::Internal(e.into()))?;
    Ok(automation::ActiveModel {
        name: Set(fields.name.clone()),
        trigger_type: Set(fields.when.kind().to_owned()),
        trigger: Set(trigger),
        workflow_key: Set(fields.workflow_key.clone()),
        assignee_id: Set(fields.assignee_id),
        active: Set(fields.active.unwrap_or(true)),
        ..Default::default()
    })
}

/// Creates an automation inside `txn` (which may hold an idempotency claim).
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    fields: AutomationFields,
) -> Result<AutomationRecord, DomainError> {
    let mut row = columns(ctx.db, &fields).await?;
    let now = Utc::now();
    row.id = Set(Uuid::now_v7());
    row.version = Set(1);
    row.created_by = Set(ctx.caller.map(|(caller, _)| caller.user_id));
    row.created_at = Set(now);
    row.updated_at = Set(now);
    let created = record(
        automation::Entity::insert(row)
            .exec_with_returning(txn)
            .await?,
    )?;
    events::audit_config(
        txn,
        &ctx.actor,
        "automation.create",
        "automation",
        created.id,
        None::<&AutomationRecord>,
        Some(&created),
    )
    .await?;
    Ok(created)
}

/// Changes automation `id`, if it is at a version `expected` allows.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected: &IfMatch,
    changes: AutomationChanges,
) -> Result<AutomationRecord, DomainError> {
    let current = find(ctx.db, id).await?;
    expected.check(current.version)?;
    let version = current.version;
    let before = record(current)?;
    let mut row = columns(ctx.db, &changes.apply(&before)).await?;
    row.version = Set(version + 1);
    row.updated_at = Set(Utc::now());
    let txn = ctx.begin().await?;
    records::update_if_version::<automation::Entity, _>(
        &txn,
        row,
        (Column::Id, id),
        (Column::Version, version),
    )
    .await?;
    let after = record(find(&txn, id).await?)?;
    events::audit_config(
        &txn,
        &ctx.actor,
        "automation.update",
        "automation",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    ctx.commit(txn).await?;
    Ok(after)
}

/// Deletes automation `id` and its runs, if it is at a version `expected` allows.
pub async fn delete(ctx: &Context<'_>, id: Uuid, expected: &IfMatch) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    let current = find(&txn, id).await?;
    expected.check(current.version)?;
    let version = current.version;
    records::delete_if_version::<automation::Entity, _>(
        &txn,
        (Column::Id, id),
        (Column::Version, version),
    )
    .await?;
    let before = record(current)?;
    events::audit_config(
        &txn,
        &ctx.actor,
        "automation.delete",
        "automation",
        id,
        Some(&before),
        None::<&AutomationRecord>,
    )
    .await?;
    ctx.commit(txn).await
}
