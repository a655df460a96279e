//! Activating a stored model: the one its engine serves on every replica,
//! with the `model.activated` event and an audit entry.

use super::Context;
use super::audit::{self, Event};
use crate::domain::DomainError;
use crate::entities::model;
use crate::ml::jobs;

/// Makes model `row` the active one of its engine.
pub async fn activate(ctx: &Context<'_>, row: &model::Model) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    jobs::activate_in(&txn, &row.engine, row.id).await?;
    let event = Event::new("model.activate", "model", Some(row.id))
        .with_changes(serde_json::json!({"engine": row.engine}));
    audit::record(&txn, &ctx.actor, event).await?;
    ctx.commit(txn).await
}
