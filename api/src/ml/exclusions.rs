//! What a customer's list leaves out: the items they dismissed, and unless
//! asked otherwise those they interacted with, read from memory for a
//! customer the model knows and from the log otherwise.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use uuid::Uuid;

use super::activity::Recent;
use super::dismissals;
use super::serving::{LoadedRecommender, ModelCache};
use crate::domain::DomainError;
use crate::entities::{customer, interaction};

/// Checks that `customer` is live (404 otherwise) and returns the items of
/// their interactions recorded since `since` (all of them when `None`), in
/// one query: the customer row left-joined to the log.
async fn live_customer_items(
    db: &DatabaseConnection,
    customer_id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<Uuid>, DomainError> {
    let mut on = Condition::all().add(
        Expr::col((interaction::Entity, interaction::Column::CustomerId))
            .equals((customer::Entity, customer::Column::Id)),
    );
    if let Some(since) = since {
        on = on.add(Expr::col((interaction::Entity, interaction::Column::CreatedAt)).gte(since));
    }
    let mut select = customer::Entity::find_by_id(customer_id)
        .select_only()
        .column(customer::Column::Id)
        .column(interaction::Column::ItemId)
        .filter(customer::Column::DeletedAt.is_null());
    QueryTrait::query(&mut select).left_join(interaction::Entity, on);
    let rows: Vec<(Uuid, Option<Uuid>)> = select.into_tuple().all(db).await?;
    if rows.is_empty() {
        return Err(DomainError::NotFound("customer"));
    }
    Ok(rows.into_iter().filter_map(|(_, item)| item).collect())
}

/// Items to leave out of `customer`'s list, as indices of `model`: those
/// they dismissed (`not_interested`) always, and with `exclude_seen` those
/// they interacted with (the training history plus what was recorded since
/// the model's data was read). For a customer the model knows, all of it
/// comes from memory; otherwise (or when memory does not reach back far
/// enough) the log is read. Answers 404 when the customer is not live, even
/// when nothing is excluded.
pub async fn excluded_items(
    db: &DatabaseConnection,
    cache: &ModelCache,
    model: &LoadedRecommender,
    customer: Uuid,
    exclude_seen: bool,
) -> Result<Vec<u32>, DomainError> {
    let history = model
        .customer_index
        .get(&customer)
        .and_then(|i| model.history.get(*i as usize));
    let since = history.map(|_| model.trained_on_data_until);
    let remembered = since.and_then(|since| cache.activity.recent(&customer, since));
    let recent = match remembered {
        Some(Recent::Deleted) => return Err(DomainError::NotFound("customer")),
        Some(Recent::Items(items)) => items,
        None => live_customer_items(db, customer, since).await?,
    };
    let dismissed = match cache.dismissals.of(&customer) {
        Some(items) => items,
        None => dismissals::read_for(db, customer).await?,
    };
    let mut excluded = match (exclude_seen, history) {
        (true, Some(history)) => history.clone(),
        _ => Vec::new(),
    };
    let recent: &[Uuid] = if exclude_seen { &recent } else { &[] };
    excluded.extend(
        recent
            .iter()
            .chain(&dismissed)
            .filter_map(|id| model.item_index.get(id).copied()),
    );
    Ok(excluded)
}
