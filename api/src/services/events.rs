//! What a write implies besides its row, inside the write's transaction:
//! outbox events for webhooks (their payloads are the domain records, not
//! response bodies), the automations' triggers, and audit entries for
//! configuration.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::customer::CustomerRecord;
use crate::domain::event::EventPayload;
use crate::domain::{DomainError, LifecycleStage};
use crate::entities::interaction;
use crate::services::audit::{self, Actor, Event};
use crate::services::{automations, outbox, records};

/// A customer was created.
pub async fn customer_created(
    txn: &DatabaseTransaction,
    record: &CustomerRecord,
) -> Result<(), DomainError> {
    outbox::emit(txn, EventPayload::customer_created(record.clone())).await
}

/// A customer was changed; `previous_stage` is its lifecycle stage before.
pub async fn customer_updated(
    txn: &DatabaseTransaction,
    previous_stage: LifecycleStage,
    record: &CustomerRecord,
) -> Result<(), DomainError> {
    outbox::emit(txn, EventPayload::customer_updated(record.clone())).await?;
    if previous_stage != record.lifecycle_stage {
        automations::on_lifecycle_change(
            txn,
            record.id,
            previous_stage.as_str(),
            record.lifecycle_stage.as_str(),
        )
        .await?;
    }
    Ok(())
}

/// Interactions were recorded: one `interaction.created` event per row,
/// and `survey.answered` for survey answers (unless `emit_events` is off, as for an import without `--emit-events`)
/// and, when `run_automations`, the interaction automations.
pub async fn interactions_recorded(
    txn: &DatabaseTransaction,
    rows: &[interaction::Model],
    emit_events: bool,
    run_automations: bool,
) -> Result<(), DomainError> {
    if emit_events {
        let mut payloads = Vec::with_capacity(rows.len());
        for row in rows {
            let record = records::interaction(row)?;
            if record.survey.is_some() {
                payloads.push(EventPayload::SurveyAnswered(record.clone()));
            }
            payloads.push(EventPayload::Interaction(record));
        }
        outbox::emit_many(txn, &payloads).await?;
    }
    if run_automations {
        automations::on_interactions(txn, rows).await?;
    }
    Ok(())
}

/// Records a change of configuration (workflow definitions, automations,
/// webhooks) in the audit log, inside the change's transaction.
pub async fn audit_config(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    action: &'static str,
    resource: &'static str,
    id: Uuid,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<(), DomainError> {
    let before = before.map(audit::snapshot);
    let after = after.map(audit::snapshot);
    let event = Event::new(action, resource, Some(id)).with_changes(audit::diff(
        before.as_ref(),
        after.as_ref(),
        &[],
    ));
    audit::record(txn, actor, event).await
}
