//! Items' use cases: create, change, replace by SKU, delete, each with its
//! version check, audit entry and serving-cache note, for every writer.

use chrono::Utc;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::audit::{self, Event};
use super::{CacheNote, Context, records};
use crate::domain::item::{ItemChanges, ItemFields, ItemRecord, NewItem};
use crate::domain::{DomainError, ErrorCode, IfMatch};
use crate::entities::interaction;
use crate::entities::item::{self, Column};

/// An item row, or not found.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<item::Model, DomainError> {
    item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("item"))
}

/// Creates an item inside `txn` (which may also hold an idempotency claim).
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    new: NewItem,
) -> Result<ItemRecord, DomainError> {
    let row = item::Entity::insert(records::new_item_row(&new, Utc::now()))
        .exec_with_returning(txn)
        .await?;
    let record = records::item(&row)?;
    let diff = audit::diff(None, Some(&audit::snapshot(&record)), &[]);
    let event = Event::new("item.create", "item", Some(record.id)).with_changes(diff);
    audit::record(txn, &ctx.actor, event).await?;
    ctx.note(|| CacheNote::Item(Box::new(row)));
    Ok(record)
}

async fn replace(
    ctx: &Context<'_>,
    current: item::Model,
    new: NewItem,
) -> Result<ItemRecord, DomainError> {
    let before = records::item(&current)?;
    let mut changes = records::item_columns(&new);
    changes.id = NotSet;
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let txn = ctx.begin().await?;
    records::update_if_version::<item::Entity, _>(
        &txn,
        changes,
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    let row = find(&txn, current.id).await?;
    let after = records::item(&row)?;
    let diff = audit::diff(
        Some(&audit::snapshot(&before)),
        Some(&audit::snapshot(&after)),
        &[],
    );
    let event = Event::new("item.update", "item", Some(current.id)).with_changes(diff);
    audit::record(&txn, &ctx.actor, event).await?;
    ctx.note(|| CacheNote::Item(Box::new(row)));
    ctx.commit(txn).await?;
    Ok(after)
}

/// Changes some fields of item `id`, if it is at a version `expected` allows.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected: &IfMatch,
    changes: ItemChanges,
) -> Result<ItemRecord, DomainError> {
    let current = find(ctx.db, id).await?;
    expected.check(current.version)?;
    let merged = changes.apply(&records::item(&current)?);
    replace(ctx, current, NewItem::try_from(merged)?).await
}

/// Creates or replaces the item with `sku`; `true` when created.
pub async fn upsert_by_sku(
    ctx: &Context<'_>,
    sku: &str,
    expected: &IfMatch,
    fields: ItemFields,
) -> Result<(ItemRecord, bool), DomainError> {
    if fields.sku != sku {
        return Err(DomainError::invalid(
            "sku",
            "differs from the SKU in the path",
        ));
    }
    let new = NewItem::try_from(fields)?;
    let existing = item::Entity::find()
        .filter(Column::Sku.eq(sku))
        .one(ctx.db)
        .await?;
    records::replace_or_create(
        ctx,
        existing,
        |current| current.version,
        expected,
        async |current| replace(ctx, current, new.clone()).await,
        async |txn| create(ctx, txn, new.clone()).await,
    )
    .await
}

/// Deletes item `id`. Items with recorded interactions are kept for history
/// and models (deactivate them instead): checked in the deleting transaction,
/// with the item's row locked first, so an interaction recorded at the same
/// moment (which holds a key-share lock on the item through its foreign key)
/// either commits before the check sees it or fails after the delete.
pub async fn delete(ctx: &Context<'_>, id: Uuid, expected: &IfMatch) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    let current = item::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("item"))?;
    expected.check(current.version)?;
    let used = interaction::Entity::find()
        .filter(interaction::Column::ItemId.eq(id))
        .one(&txn)
        .await?;
    if used.is_some() {
        return Err(DomainError::conflict(
            ErrorCode::ItemInUse,
            "the item has interactions; set active to false instead",
        ));
    }
    records::delete_if_version::<item::Entity, _>(
        &txn,
        (Column::Id, id),
        (Column::Version, current.version),
    )
    .await?;
    let diff = audit::diff(Some(&audit::snapshot(&records::item(&current)?)), None, &[]);
    let event = Event::new("item.delete", "item", Some(id)).with_changes(diff);
    audit::record(&txn, &ctx.actor, event).await?;
    ctx.note(|| CacheNote::ItemDeleted(id));
    ctx.commit(txn).await
}
