//! Interactions' use cases: rows validated by the domain's rules, their
//! customer and item references resolved in one query per kind and chunk,
//! written in batched statements, and followed by what recording implies
//! (audit entry, `interaction.created` events, interaction automations,
//! the serving-cache note), for the API and `rapport import` alike.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Event};
use super::{CacheNote, Context, events, records};
use crate::domain::interaction::{CustomerRef, ItemRef, NewInteraction, PII};
use crate::domain::{DomainError, FieldError};
use crate::entities::{customer, interaction, item};

/// Rows per INSERT statement (keeps bind parameters under every backend's limit).
const INSERT_CHUNK: usize = 1_000;

/// Customer and item references already resolved, by the reference
/// itself: a bulk load keeps one across its chunks, so each distinct
/// reference is looked up once.
#[derive(Debug, Default)]
pub struct ResolvedRefs {
    customers: HashMap<CustomerRef, Uuid>,
    items: HashMap<ItemRef, Uuid>,
}

/// The distinct values of `values`.
fn distinct<T: Hash + Eq>(values: impl Iterator<Item = T>) -> Vec<T> {
    values.collect::<HashSet<T>>().into_iter().collect()
}

/// References split into those given by id (`Ok`) and those given by a
/// natural key (`Err`: external id or SKU).
fn by_id_or_key<T>(
    references: &[T],
    side: impl Fn(&T) -> Result<Uuid, String>,
) -> (Vec<Uuid>, Vec<String>) {
    let mut ids = Vec::new();
    let mut keys = Vec::new();
    for reference in references {
        match side(reference) {
            Ok(id) => ids.push(id),
            Err(key) => keys.push(key),
        }
    }
    (ids, keys)
}

/// Finds the ids of live customers and of items referenced by `rows` that
/// `known` does not hold yet, with one query per reference kind and chunk
/// (no query per row), and adds them to it.
async fn resolve(
    db: &impl ConnectionTrait,
    rows: &[NewInteraction],
    known: &mut ResolvedRefs,
) -> Result<(), DomainError> {
    let ResolvedRefs { customers, items } = known;
    let unknown_customers = distinct(
        rows.iter()
            .map(|r| &r.customer)
            .filter(|c| !customers.contains_key(*c)),
    );
    let unknown_items = distinct(
        rows.iter()
            .filter_map(|r| r.item.as_ref())
            .filter(|i| !items.contains_key(*i)),
    );
    let (ids, externals) = by_id_or_key(&unknown_customers, |c| match c {
        CustomerRef::Id(id) => Ok(*id),
        CustomerRef::External(ext) => Err(ext.clone()),
    });
    let (item_ids, skus) = by_id_or_key(&unknown_items, |i| match i {
        ItemRef::Id(id) => Ok(*id),
        ItemRef::Sku(sku) => Err(sku.clone()),
    });
    for chunk in ids.chunks(INSERT_CHUNK) {
        let found: Vec<Uuid> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .filter(customer::Column::DeletedAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        customers.extend(found.into_iter().map(|id| (CustomerRef::Id(id), id)));
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
                .filter_map(|(id, ext)| Some((CustomerRef::External(ext?), id))),
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
        items.extend(found.into_iter().map(|id| (ItemRef::Id(id), id)));
    }
    for chunk in skus.chunks(INSERT_CHUNK) {
        let found: Vec<(Uuid, String)> = item::Entity::find()
            .select_only()
            .columns([item::Column::Id, item::Column::Sku])
            .filter(item::Column::Sku.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        items.extend(found.into_iter().map(|(id, sku)| (ItemRef::Sku(sku), id)));
    }
    Ok(())
}

/// Resolves the references of validated rows; returns the rows to insert
/// (fresh UUIDv7 ids, `created_at` now) or every unresolved reference with
/// its row index.
pub async fn prepare(
    db: &impl ConnectionTrait,
    rows: Vec<NewInteraction>,
    now: DateTime<Utc>,
) -> Result<Vec<interaction::Model>, DomainError> {
    prepare_with(db, &rows, now, &mut ResolvedRefs::default()).await
}

/// As [`prepare`], looking up only the references `known` does not hold
/// (and adding them to it).
pub async fn prepare_with(
    db: &impl ConnectionTrait,
    rows: &[NewInteraction],
    now: DateTime<Utc>,
    known: &mut ResolvedRefs,
) -> Result<Vec<interaction::Model>, DomainError> {
    resolve(db, rows, known).await?;
    let ResolvedRefs { customers, items } = known;
    let mut errors = Vec::new();
    let mut prepared = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let customer_id = customers.get(&row.customer).copied();
        if customer_id.is_none() {
            errors.push(FieldError::new("customer_id", "no such customer").at(index));
        }
        let item_id = row.item.as_ref().and_then(|i| items.get(i).copied());
        if row.item.is_some() && item_id.is_none() {
            errors.push(FieldError::new("item_id", "no such item").at(index));
        }
        if let Some(customer_id) = customer_id {
            let survey = row.survey.as_ref();
            prepared.push(interaction::Model {
                id: Uuid::now_v7(),
                customer_id,
                item_id,
                kind: row.kind.as_str().to_owned(),
                value: row.value,
                rating: row.rating,
                channel: row.channel.clone(),
                note: row.note.clone(),
                occurred_at: row.occurred_at,
                created_at: now,
                exposure_id: row.exposure_id,
                basket_id: row.basket_id.clone(),
                survey_type: survey.map(|s| s.answer.kind().as_str().to_owned()),
                survey_score: survey.map(|s| i16::from(s.answer.score())),
                survey_question: survey.and_then(|s| s.question.clone()),
                survey_comment: survey.and_then(|s| s.comment.clone()),
            });
        }
    }
    if errors.is_empty() {
        Ok(prepared)
    } else {
        Err(DomainError::Invalid(errors))
    }
}

/// How a recording is audited and what it sets off.
#[derive(Debug, Clone, Copy)]
pub struct Recording {
    /// One audit entry per row with its diff (single creations), or one
    /// for the whole batch (a row per interaction would double its cost).
    pub audit_each: bool,
    /// Emit one `interaction.created` event per row.
    pub emit_events: bool,
    /// Run the interaction automations.
    pub run_automations: bool,
}

impl Recording {
    /// `POST /interactions`: audited per row, with events and automations.
    pub const SINGLE: Self = Self {
        audit_each: true,
        emit_events: true,
        run_automations: true,
    };
    /// `POST /interactions/batch`: one audit entry, events and automations.
    pub const BATCH: Self = Self {
        audit_each: false,
        emit_events: true,
        run_automations: true,
    };
}

/// Records prepared rows inside `txn`: the rows, the audit, the events and
/// automations `how` asks for, and the serving-cache note at commit.
pub async fn record(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    rows: Vec<interaction::Model>,
    how: Recording,
) -> Result<Vec<interaction::Model>, DomainError> {
    insert_all(txn, &rows).await?;
    if how.audit_each {
        for row in &rows {
            let record = records::interaction(row)?;
            let diff = audit::diff(None, Some(&audit::snapshot(&record)), PII);
            let event =
                Event::new("interaction.create", "interaction", Some(row.id)).with_changes(diff);
            audit::record(txn, &ctx.actor, event).await?;
        }
    } else {
        let event = Event::new("interaction.create_batch", "interaction", None)
            .with_changes(json!({"created": rows.len()}));
        audit::record(txn, &ctx.actor, event).await?;
    }
    events::interactions_recorded(txn, &rows, how.emit_events, how.run_automations).await?;
    ctx.note(|| CacheNote::Interactions(rows.clone()));
    Ok(rows)
}

/// Inserts validated rows in statements of [`INSERT_CHUNK`] rows.
async fn insert_all(
    txn: &impl ConnectionTrait,
    records: &[interaction::Model],
) -> Result<(), DomainError> {
    for chunk in records.chunks(INSERT_CHUNK) {
        interaction::Entity::insert_many(chunk.iter().cloned().map(interaction::ActiveModel::from))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
