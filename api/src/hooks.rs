//! What the core resources' handlers call inside their write transaction:
//! outbox events for webhooks and the automations' triggers.

use sea_orm::DatabaseTransaction;

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
