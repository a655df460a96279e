//! What handlers call inside their write transaction: outbox events for
//! webhooks, the automations' triggers, and audit entries for configuration.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, Actor, Event};
use crate::auth::Caller;

use crate::automations;
use crate::entities::interaction;
use crate::error::ApiError;
use crate::outbox;
use crate::routes::customers::CustomerOut;
use crate::routes::interactions::InteractionOut;

/// A customer was created.
pub async fn customer_created(
    txn: &DatabaseTransaction,
    out: &CustomerOut,
) -> Result<(), ApiError> {
    outbox::emit(txn, "customer.created", out).await
}

/// A customer was changed; `previous_stage` is its lifecycle stage before.
pub async fn customer_updated(
    txn: &DatabaseTransaction,
    previous_stage: &str,
    out: &CustomerOut,
) -> Result<(), ApiError> {
    outbox::emit(txn, "customer.updated", out).await?;
    if previous_stage != out.lifecycle_stage {
        automations::on_lifecycle_change(txn, out.id, previous_stage, &out.lifecycle_stage).await?;
    }
    Ok(())
}

/// Interactions were recorded.
pub async fn interactions_recorded(
    txn: &DatabaseTransaction,
    rows: &[interaction::Model],
) -> Result<(), ApiError> {
    let payloads: Vec<InteractionOut> = rows.iter().cloned().map(InteractionOut::from).collect();
    outbox::emit_many(txn, "interaction.created", &payloads).await?;
    automations::on_interactions(txn, rows).await
}

/// Records a change of configuration (workflow definitions, automations,
/// webhooks) in the audit log, inside the change's transaction.
pub async fn audit_config(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    action: &'static str,
    resource: &'static str,
    id: Uuid,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<(), ApiError> {
    let before = before.map(audit::snapshot);
    let after = after.map(audit::snapshot);
    let event = Event::new(action, resource, Some(id)).with_changes(audit::diff(
        before.as_ref(),
        after.as_ref(),
        &[],
    ));
    audit::record(txn, &Actor::from(caller), event).await
}
