//! Customers and the GDPR: soft delete, restore, and erasure of personal
//! data for good, with everything erasure implies (interaction notes,
//! workflow comments, stored idempotent replies and pending webhook
//! deliveries that carried the person's data, and a `customer.erased` event
//! for the systems that received it) in one transaction.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::audit::{self, Event};
use super::{CacheNote, Context, outbox, records};
use crate::domain::customer::{CustomerRecord, PII};
use crate::domain::event::{CustomerErased, EventPayload};
use crate::domain::validation::contains_pattern;
use crate::domain::{DeliveryStatus, DomainError, ErrorCode, IfMatch};
use crate::entities::customer::{self, Column};
use crate::entities::{
    idempotency_key, interaction, webhook_delivery, workflow_event, workflow_instance,
};

/// What replaces the name of an erased customer.
pub const ERASED_NAME: &str = "[erased]";

/// The customer, deleted or not, or not found.
pub async fn find_any(db: &impl ConnectionTrait, id: Uuid) -> Result<customer::Model, DomainError> {
    customer::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("customer"))
}

/// A change of a customer's lifecycle in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Delete,
    Erase,
    Restore,
}

impl Change {
    fn action(self) -> &'static str {
        match self {
            Change::Delete => "customer.delete",
            Change::Erase => "customer.erase",
            Change::Restore => "customer.restore",
        }
    }

    fn fields(self, current: &customer::Model, now: DateTime<Utc>) -> customer::ActiveModel {
        let mut changes = customer::ActiveModel {
            updated_at: Set(now),
            version: Set(current.version + 1),
            ..Default::default()
        };
        match self {
            Change::Delete => changes.deleted_at = Set(Some(now)),
            Change::Restore => changes.deleted_at = Set(None),
            Change::Erase => {
                changes.name = Set(ERASED_NAME.to_owned());
                changes.email = Set(None);
                changes.phone = Set(None);
                changes.company = Set(None);
                changes.external_id = Set(None);
                changes.deleted_at = Set(Some(current.deleted_at.unwrap_or(now)));
                changes.erased_at = Set(Some(now));
            }
        }
        changes
    }
}

/// Removes the free text of the customer's interactions (kept, anonymous,
/// for the models), the stored replies that repeated their data, and what
/// workflows and webhooks hold of them.
async fn scrub_related(txn: &impl ConnectionTrait, id: Uuid) -> Result<(), DomainError> {
    interaction::Entity::update_many()
        .col_expr(
            interaction::Column::Note,
            Expr::value(Option::<String>::None),
        )
        .filter(interaction::Column::CustomerId.eq(id))
        .exec(txn)
        .await?;
    scrub_stored_replies(txn, id).await?;
    scrub_workflows_and_deliveries(txn, id).await
}

/// Stored idempotent replies that name the customer (its creation, or
/// interactions and workflows recorded for it, alone or in a batch) keep
/// their status and `Location`, so a retry still does not create twice,
/// but their body becomes [`erased_reply`]. Found by the customer's id in
/// the body or the location: every reply that repeats a customer's data
/// names its id.
async fn scrub_stored_replies(txn: &impl ConnectionTrait, id: Uuid) -> Result<(), DomainError> {
    let named = LikeExpr::new(contains_pattern(&id.to_string())).escape('\\');
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::Body, Expr::value(erased_reply(id)))
        .filter(
            Condition::any()
                .add(Expr::col(idempotency_key::Column::Body).like(named.clone()))
                .add(Expr::col(idempotency_key::Column::Location).like(named)),
        )
        .exec(txn)
        .await?;
    Ok(())
}

/// What a replay returns instead of a reply that held an erased customer's data.
pub fn erased_reply(id: Uuid) -> String {
    serde_json::json!({
        "erased": true,
        "customer_id": id,
        "detail": "this stored reply was removed: the customer's personal data was erased",
    })
    .to_string()
}

/// A customer's personal data is being erased: comments on their workflow
/// instances are blanked, and webhook deliveries that carried their data are
/// redacted (and no longer sent).
async fn scrub_workflows_and_deliveries(
    txn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<(), DomainError> {
    let instances: Vec<Uuid> = workflow_instance::Entity::find()
        .select_only()
        .column(workflow_instance::Column::Id)
        .filter(workflow_instance::Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(txn)
        .await?;
    for chunk in instances.chunks(500) {
        workflow_event::Entity::update_many()
            .col_expr(
                workflow_event::Column::Comment,
                Expr::value(Option::<String>::None),
            )
            .filter(workflow_event::Column::InstanceId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    let mentions = Expr::col(webhook_delivery::Column::Payload)
        .like(LikeExpr::new(contains_pattern(&customer_id.to_string())).escape('\\'));
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed.as_str()),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value("not sent: the customer's personal data was erased"),
        )
        .filter(mentions.clone())
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .exec(txn)
        .await?;
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Payload,
            Expr::value(r#"{"redacted":true}"#),
        )
        .filter(mentions)
        .exec(txn)
        .await?;
    Ok(())
}

/// Applies `change` to `current` (conditional on its version) and audits it
/// with a redacted diff, in one transaction.
async fn apply(
    ctx: &Context<'_>,
    current: &customer::Model,
    change: Change,
) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    records::update_if_version::<customer::Entity, _>(
        &txn,
        change.fields(current, Utc::now()),
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    if change == Change::Erase {
        scrub_related(&txn, current.id).await?;
    }
    let after = find_any(&txn, current.id).await?;
    if let (Change::Erase, Some(erased_at)) = (change, after.erased_at) {
        // After the scrub, which redacts deliveries naming the customer.
        let erased = CustomerErased {
            customer_id: current.id,
            erased_at,
        };
        outbox::emit(&txn, EventPayload::CustomerErased(erased)).await?;
    }
    let view = |row: &customer::Model| records::customer(row).map(|r| audit::snapshot(&r));
    let diff = audit::diff(Some(&view(current)?), Some(&view(&after)?), PII);
    let event = Event::new(change.action(), "customer", Some(current.id)).with_changes(diff);
    audit::record(&txn, &ctx.actor, event).await?;
    let deleted = change != Change::Restore;
    ctx.note(|| CacheNote::Customer {
        id: current.id,
        deleted,
    });
    ctx.commit(txn).await
}

/// Deletes customer `id`: soft (hidden, restorable), or with `erase` its
/// personal data for good. Erasing twice is harmless.
pub async fn delete(
    ctx: &Context<'_>,
    id: Uuid,
    expected: &IfMatch,
    erase: bool,
) -> Result<(), DomainError> {
    let current = if erase {
        find_any(ctx.db, id).await?
    } else {
        super::customers::find_live(ctx.db, id).await?
    };
    ctx.check_owner(current.owner_id)?;
    expected.check(current.version)?;
    match (erase, current.erased_at) {
        (true, Some(_)) => Ok(()),
        (true, None) => apply(ctx, &current, Change::Erase).await,
        (false, _) => apply(ctx, &current, Change::Delete).await,
    }
}

/// Brings back a soft-deleted customer; an erased one cannot come back.
pub async fn restore(ctx: &Context<'_>, id: Uuid) -> Result<CustomerRecord, DomainError> {
    let current = find_any(ctx.db, id).await?;
    if current.erased_at.is_some() {
        return Err(DomainError::conflict(
            ErrorCode::Erased,
            "the customer's personal data was erased; it cannot be restored",
        ));
    }
    if current.deleted_at.is_some() {
        apply(ctx, &current, Change::Restore).await?;
    }
    records::customer(&super::customers::find_live(ctx.db, id).await?)
}
