//! Customers' use cases: create, change, replace by external id, with the
//! ownership rule, the optimistic version check, the audit entry, the
//! outbox event and the lifecycle automations, for every writer alike.

use chrono::Utc;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::audit::{self, Event};
use super::{Context, events, records};
use crate::domain::customer::{CustomerChanges, CustomerFields, CustomerRecord, NewCustomer, PII};
use crate::domain::{DomainError, ErrorCode, IfMatch};
use crate::entities::customer::{self, Column};

/// A live (not deleted) customer row, or not found.
pub async fn find_live(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<customer::Model, DomainError> {
    customer::Entity::find_by_id(id)
        .filter(Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("customer"))
}

/// The id of a live customer, or not found; reads no other column.
pub async fn ensure_live(db: &impl ConnectionTrait, id: Uuid) -> Result<Uuid, DomainError> {
    customer::Entity::find_by_id(id)
        .select_only()
        .column(Column::Id)
        .filter(Column::DeletedAt.is_null())
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("customer"))
}

/// Creates a customer inside `txn` (the caller's transaction, which may
/// also hold an idempotency claim): the row, its audit entry and the
/// `customer.created` event.
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    new: NewCustomer,
) -> Result<CustomerRecord, DomainError> {
    ctx.check_owner(new.fields().owner_id)?;
    let row = customer::Entity::insert(records::new_customer_row(&new, Utc::now()))
        .exec_with_returning(txn)
        .await?;
    let record = records::customer(&row)?;
    let diff = audit::diff(None, Some(&audit::snapshot(&record)), PII);
    let event = Event::new("customer.create", "customer", Some(record.id)).with_changes(diff);
    audit::record(txn, &ctx.actor, event).await?;
    events::customer_created(txn, &record).await?;
    Ok(record)
}

/// Writes `new` over `current`, conditional on the version read.
async fn replace(
    ctx: &Context<'_>,
    current: customer::Model,
    new: NewCustomer,
) -> Result<CustomerRecord, DomainError> {
    ctx.check_owner(new.fields().owner_id)?;
    let before = records::customer(&current)?;
    let mut changes = records::customer_columns(&new);
    changes.id = NotSet;
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let txn = ctx.begin().await?;
    records::update_if_version::<customer::Entity, _>(
        &txn,
        changes,
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    let after = records::customer(&find_live(&txn, current.id).await?)?;
    let diff = audit::diff(
        Some(&audit::snapshot(&before)),
        Some(&audit::snapshot(&after)),
        PII,
    );
    let event = Event::new("customer.update", "customer", Some(current.id)).with_changes(diff);
    audit::record(&txn, &ctx.actor, event).await?;
    events::customer_updated(&txn, before.lifecycle_stage, &after).await?;
    ctx.commit(txn).await?;
    Ok(after)
}

/// Changes some fields of customer `id`, if it is at a version `expected` allows.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected: &IfMatch,
    changes: CustomerChanges,
) -> Result<CustomerRecord, DomainError> {
    let current = find_live(ctx.db, id).await?;
    ctx.check_owner(current.owner_id)?;
    expected.check(current.version)?;
    let merged = changes.apply(&records::customer(&current)?);
    replace(ctx, current, NewCustomer::try_from(merged)?).await
}

/// Creates or replaces the customer with `external_id`; `true` when created.
pub async fn upsert_by_external_id(
    ctx: &Context<'_>,
    external_id: &str,
    expected: &IfMatch,
    mut fields: CustomerFields,
) -> Result<(CustomerRecord, bool), DomainError> {
    if fields
        .external_id
        .as_deref()
        .is_some_and(|e| e != external_id)
    {
        return Err(DomainError::invalid(
            "external_id",
            "differs from the external id in the path",
        ));
    }
    fields.external_id = Some(external_id.to_owned());
    let new = NewCustomer::try_from(fields)?;
    let existing = customer::Entity::find()
        .filter(Column::ExternalId.eq(external_id))
        .one(ctx.db)
        .await?;
    if let Some(current) = &existing {
        if current.deleted_at.is_some() {
            return Err(DomainError::conflict(
                ErrorCode::Deleted,
                "the customer with this external id was deleted",
            ));
        }
        ctx.check_owner(current.owner_id)?;
    }
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
