//! Confirming what a client actually showed of a served list.

use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::Context;
use crate::domain::DomainError;
use crate::entities::exposure;

/// Most item ids one confirmation names.
pub const MAX_IMPRESSIONS: usize = 100;

/// An exposure, or not found (also while it still waits to be written).
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<exposure::Model, DomainError> {
    exposure::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("exposure"))
}

/// Records that of exposure `id`, the client showed `items` (each among
/// the served ones): only they count as impressions from then on.
pub async fn confirm_impressions(
    ctx: &Context<'_>,
    id: Uuid,
    items: &[Uuid],
) -> Result<exposure::Model, DomainError> {
    let row = find(ctx.db, id).await?;
    let served = crate::ml::online::ids(&row.items);
    if items.is_empty() || items.len() > MAX_IMPRESSIONS {
        return Err(DomainError::invalid(
            "item_ids",
            format!("give 1 to {MAX_IMPRESSIONS} item ids"),
        ));
    }
    if let Some(at) = items.iter().position(|i| !served.contains(i)) {
        return Err(DomainError::invalid(
            format!("item_ids[{at}]"),
            "not an item of this list",
        ));
    }
    let shown: Vec<String> = items.iter().map(Uuid::to_string).collect();
    let txn = ctx.begin().await?;
    exposure::Entity::update(exposure::ActiveModel {
        id: Set(id),
        impressions: Set(Some(serde_json::Value::from(shown))),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let updated = find(&txn, id).await?;
    ctx.commit(txn).await?;
    Ok(updated)
}
