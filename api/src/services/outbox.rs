//! The transactional outbox: an event is written, as one delivery row per
//! subscribed webhook, in the same transaction as the change that caused it.
//! A rolled-back change therefore sends nothing, and a committed one is
//! delivered at least once by [`crate::webhooks::dispatcher`].

use chrono::{SecondsFormat, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::domain::event::{EventPayload, PAYLOAD_VERSION};
use crate::domain::validation::contains_pattern;
use crate::domain::{DomainError, EventType};
use crate::entities::{webhook, webhook_delivery};

/// Rows per INSERT statement.
const INSERT_CHUNK: usize = 500;

/// Records `event` for every active webhook subscribed to its type. Call
/// it with the transaction of the change.
pub async fn emit(txn: &impl ConnectionTrait, event: EventPayload) -> Result<(), DomainError> {
    emit_many(txn, std::slice::from_ref(&event)).await
}

/// As [`emit`] for several events (one webhook lookup per event type).
pub async fn emit_many(
    txn: &impl ConnectionTrait,
    events: &[EventPayload],
) -> Result<(), DomainError> {
    let mut types: Vec<EventType> = events.iter().map(EventPayload::event_type).collect();
    types.sort();
    types.dedup();
    for event_type in types {
        let of_type: Vec<&EventPayload> = events
            .iter()
            .filter(|e| e.event_type() == event_type)
            .collect();
        emit_of_type(txn, event_type, &of_type).await?;
    }
    Ok(())
}

async fn emit_of_type(
    txn: &impl ConnectionTrait,
    event_type: EventType,
    data: &[&EventPayload],
) -> Result<(), DomainError> {
    let pattern = contains_pattern(&format!("|{event_type}|"));
    let hooks: Vec<Uuid> = webhook::Entity::find()
        .filter(webhook::Column::Active.eq(true))
        .filter(Expr::col(webhook::Column::EventIndex).like(LikeExpr::new(pattern).escape('\\')))
        .all(txn)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    if hooks.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let mut rows = Vec::with_capacity(hooks.len() * data.len());
    for item in data {
        let event_id = format!("msg_{}", Uuid::now_v7().simple());
        let data = item.data().map_err(|e| DomainError::Internal(e.into()))?;
        let body = json!({
            "id": event_id,
            "type": event_type,
            "version": PAYLOAD_VERSION,
            "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": data,
        });
        let payload = serde_json::to_string(&body).map_err(|e| DomainError::Internal(e.into()))?;
        for hook in &hooks {
            rows.push(webhook_delivery::ActiveModel::from(
                webhook_delivery::Model {
                    id: Uuid::now_v7(),
                    webhook_id: *hook,
                    event_id: event_id.clone(),
                    event_type: event_type.as_str().to_owned(),
                    payload: payload.clone(),
                    status: "pending".to_owned(),
                    attempts: 0,
                    next_attempt_at: now,
                    locked_until: None,
                    last_status_code: None,
                    last_error: None,
                    created_at: now,
                    updated_at: now,
                },
            ));
        }
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        webhook_delivery::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
