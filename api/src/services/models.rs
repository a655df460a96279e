//! Activating a stored model: the one its engine serves on every replica,
//! with the `model.activated` event and an audit entry.

use sea_orm::DatabaseTransaction;

use super::Context;
use super::audit::{self, Event};
use crate::domain::DomainError;
use crate::entities::model;
use crate::ml::jobs;

/// Inside `txn`, makes `row` the active model of its engine, and applies a
/// segmentation to the customers.
pub async fn activate_in(txn: &DatabaseTransaction, row: &model::Model) -> Result<(), DomainError> {
    jobs::activate_in(txn, &row.engine, row.id).await?;
    if row.engine == rapport_engines::Segments::NAME {
        super::segments::apply_activation(txn, row.id).await?;
    }
    Ok(())
}

/// Makes model `row` the active one of its engine.
pub async fn activate(ctx: &Context<'_>, row: &model::Model) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    activate_in(&txn, row).await?;
    let event = Event::new("model.activate", "model", Some(row.id))
        .with_changes(serde_json::json!({"engine": row.engine}));
    audit::record(&txn, &ctx.actor, event).await?;
    ctx.commit(txn).await
}
