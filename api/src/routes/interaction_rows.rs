//! Validation and reference resolution of interaction rows, shared by the
//! API (single and batch) and `rapport import`, and their batched insertion.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::interactions::{InteractionInput, InteractionKind};
use crate::entities::{customer, interaction, item};
use crate::error::{ApiError, FieldError};
use crate::validation::{Checks, LONG_TEXT};

/// Rows per INSERT statement (keeps bind parameters under every backend's limit).
const INSERT_CHUNK: usize = 1_000;

fn check_row(row: &InteractionInput, now: DateTime<Utc>) -> Checks {
    let mut checks = Checks::default();
    match (&row.customer_id, &row.customer_external_id) {
        (Some(_), None) | (None, Some(_)) => {}
        _ => checks.fail(
            "customer_id",
            "give exactly one of customer_id and customer_external_id",
        ),
    }
    if row.item_id.is_some() && row.item_sku.is_some() {
        checks.fail("item_id", "give at most one of item_id and item_sku");
    }
    if row.value.is_some_and(|v| !v.is_finite()) {
        checks.fail("value", "must be a finite number");
    }
    if row.rating.is_some_and(|r| !(1..=5).contains(&r)) {
        checks.fail("rating", "must be between 1 and 5");
    }
    if row.kind == InteractionKind::Rating && row.rating.is_none() {
        checks.fail("rating", "is required for kind `rating`");
    }
    checks.opt_text("channel", row.channel.as_deref(), 50);
    checks.opt_text("note", row.note.as_deref(), LONG_TEXT);
    if row.occurred_at.is_some_and(|t| t > now + Duration::days(1)) {
        checks.fail("occurred_at", "must not be more than a day in the future");
    }
    checks
}

/// Ids of live customers and of items referenced by `rows`, found with one
/// query per reference kind and chunk (no query per row).
async fn resolve(
    db: &impl ConnectionTrait,
    rows: &[InteractionInput],
) -> Result<(HashMap<String, Uuid>, HashMap<String, Uuid>), ApiError> {
    let mut customers = HashMap::new();
    let mut items = HashMap::new();
    fn distinct<T: Ord>(mut values: Vec<T>) -> Vec<T> {
        values.sort_unstable();
        values.dedup();
        values
    }
    let ids = distinct(rows.iter().filter_map(|r| r.customer_id).collect());
    let externals = distinct(
        rows.iter()
            .filter_map(|r| r.customer_external_id.clone())
            .collect(),
    );
    let item_ids = distinct(rows.iter().filter_map(|r| r.item_id).collect());
    let skus = distinct(rows.iter().filter_map(|r| r.item_sku.clone()).collect());
    for chunk in ids.chunks(INSERT_CHUNK) {
        let found: Vec<Uuid> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .filter(customer::Column::DeletedAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        customers.extend(found.into_iter().map(|id| (id.to_string(), id)));
    }
    for chunk in externals.chunks(INSERT_CHUNK) {
        let found: Vec<(Uuid, Option<String>)> = customer::Entity::find()
            .select_only()
            .columns([customer::Column::Id, customer::Column::ExternalId])
            .filter(customer::Column::ExternalId.is_in(chunk.iter().cloned()))
            .filter(customer::Column::DeletedAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        customers.extend(
            found
                .into_iter()
                .filter_map(|(id, ext)| Some((format!("ext:{}", ext?), id))),
        );
    }
    for chunk in item_ids.chunks(INSERT_CHUNK) {
        let found: Vec<Uuid> = item::Entity::find()
            .select_only()
            .column(item::Column::Id)
            .filter(item::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        items.extend(found.into_iter().map(|id| (id.to_string(), id)));
    }
    for chunk in skus.chunks(INSERT_CHUNK) {
        let found: Vec<(Uuid, String)> = item::Entity::find()
            .select_only()
            .columns([item::Column::Id, item::Column::Sku])
            .filter(item::Column::Sku.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        items.extend(
            found
                .into_iter()
                .map(|(id, sku)| (format!("sku:{sku}"), id)),
        );
    }
    Ok((customers, items))
}

/// Validates every row and resolves its references; returns the records to
/// insert, or a 422 listing every error with its row index.
pub(crate) async fn prepare(
    db: &impl ConnectionTrait,
    rows: Vec<InteractionInput>,
) -> Result<Vec<interaction::Model>, ApiError> {
    let now = Utc::now();
    let mut errors: Vec<FieldError> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        errors.extend(check_row(row, now).into_row_errors(index));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (customers, items) = resolve(db, &rows).await?;
    let mut records = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let customer_key = match (row.customer_id, &row.customer_external_id) {
            (Some(id), _) => id.to_string(),
            (None, Some(ext)) => format!("ext:{ext}"),
            (None, None) => String::new(),
        };
        let customer_id = customers.get(&customer_key).copied();
        if customer_id.is_none() {
            errors.push(FieldError::new("customer_id", "no such customer").at(index));
        }
        let item_key = match (row.item_id, &row.item_sku) {
            (Some(id), _) => Some(id.to_string()),
            (None, Some(sku)) => Some(format!("sku:{sku}")),
            (None, None) => None,
        };
        let item_id = item_key.as_ref().and_then(|k| items.get(k).copied());
        if item_key.is_some() && item_id.is_none() {
            errors.push(FieldError::new("item_id", "no such item").at(index));
        }
        if let Some(customer_id) = customer_id {
            records.push(interaction::Model {
                id: Uuid::now_v7(),
                customer_id,
                item_id,
                kind: row.kind.as_str().to_owned(),
                value: row.value,
                rating: row.rating,
                channel: row.channel,
                note: row.note,
                occurred_at: row.occurred_at.unwrap_or(now),
                created_at: now,
            });
        }
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Inserts validated rows in statements of [`INSERT_CHUNK`] rows.
pub(crate) async fn insert_all(
    txn: &impl ConnectionTrait,
    records: Vec<interaction::Model>,
) -> Result<(), ApiError> {
    let mut records = records
        .into_iter()
        .map(interaction::ActiveModel::from)
        .peekable();
    while records.peek().is_some() {
        let chunk: Vec<_> = records.by_ref().take(INSERT_CHUNK).collect();
        interaction::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
