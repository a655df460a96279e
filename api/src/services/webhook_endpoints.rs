//! Registering webhook endpoints: create, change and delete, each with its
//! URL checked (and resolved, unless private addresses are allowed),
//! version-checked and audited, for every writer.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::audit::{self, Event};
use super::{Context, events, records};
use crate::domain::validation::{Checks, tag_index};
use crate::domain::webhook::{CreatedWebhook, WebhookChanges, WebhookFields, WebhookRecord};
use crate::domain::{DeliveryStatus, DomainError, ErrorCode, EventType, IfMatch};
use crate::entities::webhook::{self, Column};
use crate::entities::webhook_delivery;
use crate::webhooks::{guard, signature};

/// A webhook row, or not found.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<webhook::Model, DomainError> {
    webhook::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("webhook"))
}

/// A stored webhook as a record (an unknown stored event type is an
/// internal error).
pub fn record(row: webhook::Model) -> Result<WebhookRecord, DomainError> {
    let events = records::stored_tags("webhook events", &row.events)?
        .iter()
        .map(|event| records::stored::<EventType>("webhook event", event))
        .collect::<Result<_, _>>()?;
    Ok(WebhookRecord {
        id: row.id,
        url: row.url,
        events,
        description: row.description,
        active: row.active,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Checks `fields` (the URL must be public unless `allow_private`) and
/// returns the columns they set.
pub async fn columns(
    fields: &WebhookFields,
    allow_private: bool,
) -> Result<webhook::ActiveModel, DomainError> {
    let mut checks = Checks::default();
    let events = fields.check(&mut checks);
    match guard::check_url(&fields.url, allow_private) {
        Ok(parsed) => {
            if let Err(reason) = guard::check_resolved(&parsed, allow_private).await {
                checks.fail("url", reason);
            }
        }
        Err(reason) => checks.fail("url", reason),
    }
    checks.finish()?;
    let names: Vec<String> = events.iter().map(|e| e.as_str().to_owned()).collect();
    Ok(webhook::ActiveModel {
        url: Set(fields.url.clone()),
        description: Set(fields.description.clone()),
        event_index: Set(tag_index(&names)),
        events: Set(serde_json::Value::from(names)),
        active: Set(fields.active.unwrap_or(true)),
        ..Default::default()
    })
}

/// Creates a webhook inside `txn` (which may hold an idempotency claim)
/// from columns checked by [`columns`]; the secret is returned this once.
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    mut row: webhook::ActiveModel,
) -> Result<CreatedWebhook, DomainError> {
    let now = Utc::now();
    let secret = signature::new_secret();
    row.id = Set(Uuid::now_v7());
    row.secret = Set(secret.clone());
    row.version = Set(1);
    row.created_by = Set(ctx.caller.map(|(caller, _)| caller.user_id));
    row.created_at = Set(now);
    row.updated_at = Set(now);
    let created = record(
        webhook::Entity::insert(row)
            .exec_with_returning(txn)
            .await?,
    )?;
    events::audit_config(
        txn,
        &ctx.actor,
        "webhook.create",
        "webhook",
        created.id,
        None::<&WebhookRecord>,
        Some(&created),
    )
    .await?;
    Ok(CreatedWebhook {
        record: created,
        secret,
    })
}

/// Changes webhook `id`, if it is at a version `expected` allows.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected: &IfMatch,
    changes: WebhookChanges,
    allow_private: bool,
) -> Result<WebhookRecord, DomainError> {
    let current = find(ctx.db, id).await?;
    expected.check(current.version)?;
    let version = current.version;
    let before = record(current)?;
    let mut row = columns(&changes.apply(&before), allow_private).await?;
    row.version = Set(version + 1);
    row.updated_at = Set(Utc::now());
    let txn = ctx.begin().await?;
    records::update_if_version::<webhook::Entity, _>(
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
        "webhook.update",
        "webhook",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    ctx.commit(txn).await?;
    Ok(after)
}

/// Deletes webhook `id` and its delivery log, if it is at a version
/// `expected` allows.
pub async fn delete(ctx: &Context<'_>, id: Uuid, expected: &IfMatch) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    let current = find(&txn, id).await?;
    expected.check(current.version)?;
    records::delete_if_version::<webhook::Entity, _>(
        &txn,
        (Column::Id, id),
        (Column::Version, current.version),
    )
    .await?;
    let before = record(current)?;
    events::audit_config(
        &txn,
        &ctx.actor,
        "webhook.delete",
        "webhook",
        id,
        Some(&before),
        None::<&WebhookRecord>,
    )
    .await?;
    ctx.commit(txn).await
}

/// Queues delivery `delivery_id` of webhook `hook_id` again from a fresh
/// attempt budget (a conflict while it is still pending), audited.
pub async fn redeliver(
    ctx: &Context<'_>,
    hook_id: Uuid,
    delivery_id: Uuid,
) -> Result<webhook_delivery::Model, DomainError> {
    use webhook_delivery::Column as Delivery;
    let txn = ctx.begin().await?;
    let hook = find(&txn, hook_id).await?;
    let delivery = webhook_delivery::Entity::find_by_id(delivery_id)
        .filter(Delivery::WebhookId.eq(hook.id))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("delivery"))?;
    let now = Utc::now();
    let pending = DeliveryStatus::Pending.as_str();
    let result = webhook_delivery::Entity::update_many()
        .set(webhook_delivery::ActiveModel {
            status: Set(pending.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(Delivery::Id.eq(delivery.id))
        .filter(Delivery::Status.ne(pending))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::Conflict {
            code: ErrorCode::Conflict,
            detail: "the delivery is still pending".to_owned(),
        });
    }
    let event = Event::new("webhook.redeliver", "webhook", Some(hook.id)).with_changes(
        serde_json::json!({"delivery_id": delivery.id, "event_id": delivery.event_id}),
    );
    audit::record(&txn, &ctx.actor, event).await?;
    let row = webhook_delivery::Entity::find_by_id(delivery.id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("delivery"))?;
    ctx.commit(txn).await?;
    Ok(row)
}
