//! Registering webhook endpoints: create, change, rotate the secret of and
//! delete, each with its URL checked (and resolved, unless private addresses
//! are allowed), version-checked and audited, for every writer. Secrets are
//! stored sealed with the master key.

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
use crate::secrets::MasterKey;
use crate::webhooks::resolver::CheckedResolver;
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

/// Checks `fields` (the URL must be public unless `resolver` allows private
/// targets) and returns the columns they set.
pub async fn columns(
    fields: &WebhookFields,
    resolver: &CheckedResolver,
) -> Result<webhook::ActiveModel, DomainError> {
    let mut checks = Checks::default();
    let events = fields.check(&mut checks);
    match guard::check_url(&fields.url, resolver.allow_private()) {
        Ok(parsed) => {
            if let Err(reason) = guard::check_resolved(&parsed, resolver).await {
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
/// from columns checked by [`columns`]; the secret, stored sealed with
/// `master_key`, is returned this once.
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    mut row: webhook::ActiveModel,
    master_key: &MasterKey,
) -> Result<CreatedWebhook, DomainError> {
    let now = Utc::now();
    let secret = signature::new_secret();
    row.id = Set(Uuid::now_v7());
    row.secret = Set(master_key.seal(&secret)?);
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
    resolver: &CheckedResolver,
) -> Result<WebhookRecord, DomainError> {
    let current = find(ctx.db, id).await?;
    expected.check(current.version)?;
    let version = current.version;
    let before = record(current)?;
    let mut row = columns(&changes.apply(&before), resolver).await?;
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

/// Gives webhook `id` (at a version `expected` allows) a new secret,
/// returned this once; the old one keeps signing deliveries beside it for
/// `overlap` (not at all when zero). A second rotation within the overlap
/// drops the oldest secret.
pub async fn rotate_secret(
    ctx: &Context<'_>,
    id: Uuid,
    expected: &IfMatch,
    master_key: &MasterKey,
    overlap: std::time::Duration,
) -> Result<CreatedWebhook, DomainError> {
    let txn = ctx.begin().await?;
    let current = find(&txn, id).await?;
    expected.check(current.version)?;
    let now = Utc::now();
    let overlap = chrono::Duration::from_std(overlap).map_err(|e| anyhow::anyhow!("{e}"))?;
    let keep_previous = overlap > chrono::Duration::zero();
    let secret = signature::new_secret();
    let row = webhook::ActiveModel {
        secret: Set(master_key.seal(&secret)?),
        previous_secret: Set(keep_previous.then(|| current.secret.clone())),
        previous_secret_until: Set(keep_previous.then(|| now + overlap)),
        version: Set(current.version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    records::update_if_version::<webhook::Entity, _>(
        &txn,
        row,
        (Column::Id, id),
        (Column::Version, current.version),
    )
    .await?;
    let before = record(current)?;
    let after = record(find(&txn, id).await?)?;
    events::audit_config(
        &txn,
        &ctx.actor,
        "webhook.rotate_secret",
        "webhook",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    ctx.commit(txn).await?;
    Ok(CreatedWebhook {
        record: after,
        secret,
    })
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
