//! Defining merchandising rules: create, change and delete, each checked,
//! version-checked and audited, and noted for this replica's serving.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use super::{CacheNote, Context, events, records};
use crate::domain::recommendation_rule::{RuleChanges, RuleFields, RuleRecord};
use crate::domain::{DomainError, IfMatch};
use crate::entities::recommendation_rule::{self, Column};

/// A rule row, or not found.
pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<recommendation_rule::Model, DomainError> {
    recommendation_rule::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("recommendation rule"))
}

/// A stored rule as a record (an unknown action is an internal error).
pub fn record(row: recommendation_rule::Model) -> Result<RuleRecord, DomainError> {
    RuleRecord::try_from(row).map_err(DomainError::Internal)
}

/// Checks `fields` and returns the columns they set.
fn columns(fields: RuleFields) -> Result<recommendation_rule::ActiveModel, DomainError> {
    let fields = fields.normalised();
    fields.check()?;
    Ok(recommendation_rule::ActiveModel {
        name: Set(fields.name),
        action: Set(fields.action.as_str().to_owned()),
        item_id: Set(fields.item_id),
        category: Set(fields.category),
        tag: Set(fields.tag),
        position: Set(fields.position),
        factor: Set(fields.factor),
        starts_at: Set(fields.starts_at),
        ends_at: Set(fields.ends_at),
        active: Set(fields.active.unwrap_or(true)),
        ..Default::default()
    })
}

/// Checks `fields` without writing (so a refused body claims no idempotency key).
pub fn check(fields: &RuleFields) -> Result<(), DomainError> {
    fields.clone().normalised().check()
}

/// Creates a rule inside `txn` (which may hold an idempotency claim; its
/// owner commits it and then calls [`Context::committed`]).
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    fields: RuleFields,
) -> Result<RuleRecord, DomainError> {
    let mut row = columns(fields)?;
    let now = Utc::now();
    row.id = Set(Uuid::now_v7());
    row.version = Set(1);
    row.created_by = Set(ctx.caller.map(|(caller, _)| caller.user_id));
    row.created_at = Set(now);
    row.updated_at = Set(now);
    let created = record(
        recommendation_rule::Entity::insert(row)
            .exec_with_returning(txn)
            .await?,
    )?;
    audit(
        txn,
        ctx,
        "recommendation_rule.create",
        created.id,
        None,
        Some(&created),
    )
    .await?;
    ctx.note(|| CacheNote::Rule(Box::new(created.clone())));
    Ok(created)
}

/// Changes rule `id`, if it is at a version `expected` allows.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected: &IfMatch,
    changes: RuleChanges,
) -> Result<RuleRecord, DomainError> {
    let current = find(ctx.db, id).await?;
    expected.check(current.version)?;
    let version = current.version;
    let before = record(current)?;
    let mut row = columns(changes.apply(&before))?;
    row.version = Set(version + 1);
    row.updated_at = Set(Utc::now());
    let txn = ctx.begin().await?;
    records::update_if_version::<recommendation_rule::Entity, _>(
        &txn,
        row,
        (Column::Id, id),
        (Column::Version, version),
    )
    .await?;
    let after = record(find(&txn, id).await?)?;
    audit(
        &txn,
        ctx,
        "recommendation_rule.update",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    ctx.note(|| CacheNote::Rule(Box::new(after.clone())));
    ctx.commit(txn).await?;
    Ok(after)
}

/// Deletes rule `id`, if it is at a version `expected` allows.
pub async fn delete(ctx: &Context<'_>, id: Uuid, expected: &IfMatch) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    let current = find(&txn, id).await?;
    expected.check(current.version)?;
    records::delete_if_version::<recommendation_rule::Entity, _>(
        &txn,
        (Column::Id, id),
        (Column::Version, current.version),
    )
    .await?;
    let before = record(current)?;
    audit(
        &txn,
        ctx,
        "recommendation_rule.delete",
        id,
        Some(&before),
        None,
    )
    .await?;
    ctx.note(|| CacheNote::RuleDeleted(id));
    ctx.commit(txn).await
}

async fn audit(
    txn: &DatabaseTransaction,
    ctx: &Context<'_>,
    action: &'static str,
    id: Uuid,
    before: Option<&RuleRecord>,
    after: Option<&RuleRecord>,
) -> Result<(), DomainError> {
    events::audit_config(
        txn,
        &ctx.actor,
        action,
        "recommendation_rule",
        id,
        before,
        after,
    )
    .await
}
