//! Validating mapped rows with the API's own checks and writing them in
//! batched transactions (upserts for customers and items; content-derived
//! ids with ON CONFLICT DO NOTHING for interactions).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use rapport_core::table::{Row, RowError, Table};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use uuid::Uuid;

use super::mapping::Resolved;
use super::rows::{self, CUSTOMER_FIELDS, INTERACTION_FIELDS, ITEM_FIELDS};
use super::{ImportKind, Plan, Report};
use crate::entities::{customer, interaction, item};
use crate::error::ApiError;
use crate::routes::customers::{self, CustomerInput};
use crate::routes::items::{self, ItemInput};
use crate::routes::{interaction_rows, interactions};

/// Rows per statement, and per transaction for customers and items.
const BATCH: usize = 1_000;
/// Interactions per transaction. A commit writes every index page its rows
/// touched, and interaction keys (customer, item, time) land all over five
/// indexes, so each commit rewrites most of them: 10,000-row transactions
/// took 4 s for MovieLens' 100,000 ratings, one transaction 2.9 s.
const INTERACTIONS_PER_TRANSACTION: usize = 100_000;

fn row_error(line: u64, err: ApiError) -> Result<RowError, anyhow::Error> {
    match err {
        ApiError::Validation(errors) => Ok(RowError {
            line,
            message: errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        }),
        other => Err(anyhow::anyhow!("{other}")),
    }
}

fn refuse_if_strict(strict: bool, skipped: &[RowError]) -> Result<(), anyhow::Error> {
    match skipped.first() {
        Some(first) if strict => anyhow::bail!(
            "{} bad row(s), nothing imported (--strict); first: {first}",
            skipped.len()
        ),
        _ => Ok(()),
    }
}

/// Keeps the last row of each key, in first-seen order (a file may repeat a key).
fn last_per_key<T>(rows: Vec<(String, T)>) -> Vec<T> {
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, T> = HashMap::new();
    for (key, value) in rows {
        if latest.insert(key.clone(), value).is_none() {
            order.push(key);
        }
    }
    order
        .into_iter()
        .filter_map(|k| latest.remove(&k))
        .collect()
}

/// Imports one table according to its plan.
pub async fn import(
    db: &DatabaseConnection,
    plan: &Plan,
    table: &Table,
    strict: bool,
) -> Result<Report, anyhow::Error> {
    match plan.kind {
        ImportKind::Customers => import_upserts(db, plan, table, strict, CUSTOMERS).await,
        ImportKind::Items => import_upserts(db, plan, table, strict, ITEMS).await,
        ImportKind::Interactions => import_interactions(db, plan, table, strict).await,
        ImportKind::All => anyhow::bail!("a plan names one kind"),
    }
}

/// How the rows of one upserted kind (customers, items) are read, checked,
/// keyed, stamped and written.
struct UpsertKind<I, A> {
    fields: &'static [&'static str],
    read: fn(&Row, &Resolved) -> Result<I, RowError>,
    check: fn(&I) -> Result<(), ApiError>,
    /// The natural key the upsert matches on (external id, SKU).
    key: fn(&I) -> String,
    record: fn(I, DateTime<Utc>) -> A,
    on_conflict: fn() -> OnConflict,
}

/// Imports rows that upsert by a natural key: every row is checked with the
/// API's own rules first, the last row of each key wins, and the rest are
/// written in transactions of [`BATCH`] rows.
async fn import_upserts<I: Clone, A: ActiveModelTrait + Send>(
    db: &DatabaseConnection,
    plan: &Plan,
    table: &Table,
    strict: bool,
    kind: UpsertKind<I, A>,
) -> Result<Report, anyhow::Error> {
    let map = plan.mapping.resolve(table, kind.fields)?;
    let mut valid = Vec::new();
    let mut skipped = Vec::new();
    for row in &table.rows {
        match (kind.read)(row, &map) {
            Ok(input) => match (kind.check)(&input) {
                Ok(()) => valid.push(((kind.key)(&input), input)),
                Err(err) => skipped.push(row_error(row.line, err)?),
            },
            Err(err) => skipped.push(err),
        }
    }
    refuse_if_strict(strict, &skipped)?;
    let valid = last_per_key(valid);
    let bar = ProgressBar::new(valid.len() as u64);
    for chunk in valid.chunks(BATCH) {
        // Stamped per transaction: replicas follow changes by this time, so
        // it must be close to the commit.
        let now = Utc::now();
        let records = chunk.iter().cloned().map(|input| (kind.record)(input, now));
        let txn = db.begin().await?;
        A::Entity::insert_many(records)
            .on_conflict((kind.on_conflict)())
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(Report {
        rows: table.rows.len(),
        written: valid.len(),
        skipped,
    })
}

const CUSTOMERS: UpsertKind<CustomerInput, customer::ActiveModel> = UpsertKind {
    fields: CUSTOMER_FIELDS,
    read: rows::customer,
    check: customers::check_input,
    key: |input| input.external_id.clone().unwrap_or_default(),
    record: customers::new_record,
    on_conflict: || {
        use customer::Column as C;
        OnConflict::column(C::ExternalId)
            .update_columns([
                C::Name,
                C::Email,
                C::Phone,
                C::Company,
                C::Segment,
                C::LifecycleStage,
            ])
            .update_columns([C::Tags, C::TagIndex, C::Attributes, C::UpdatedAt])
            .value(C::Version, Expr::col((customer::Entity, C::Version)).add(1))
            .to_owned()
    },
};

const ITEMS: UpsertKind<ItemInput, item::ActiveModel> = UpsertKind {
    fields: ITEM_FIELDS,
    read: rows::item,
    check: items::check_input,
    key: |input| input.sku.clone(),
    record: items::new_record,
    on_conflict: || {
        use item::Column as I;
        OnConflict::column(I::Sku)
            .update_columns([I::Name, I::Category, I::Tags, I::TagIndex, I::Description])
            .update_columns([I::Price, I::Attributes, I::Active, I::UpdatedAt])
            .value(I::Version, Expr::col((item::Entity, I::Version)).add(1))
            .to_owned()
    },
};

/// An id derived from the interaction's content, time-ordered like UUIDv7:
/// importing the same row twice yields the same id.
fn content_id(row: &interaction::Model) -> Uuid {
    let mut hasher = DefaultHasher::new();
    (
        row.customer_id,
        row.item_id,
        &row.kind,
        row.occurred_at.timestamp_micros(),
    )
        .hash(&mut hasher);
    row.rating.hash(&mut hasher);
    row.value.map(f64::to_bits).hash(&mut hasher);
    let low = hasher.finish();
    let millis = u64::try_from(row.occurred_at.timestamp_millis()).unwrap_or(0);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6..8].copy_from_slice(&(low >> 48).to_be_bytes()[6..]);
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    Uuid::new_v8(bytes)
}

async fn import_interactions(
    db: &DatabaseConnection,
    plan: &Plan,
    table: &Table,
    strict: bool,
) -> Result<Report, anyhow::Error> {
    let map = plan.mapping.resolve(table, INTERACTION_FIELDS)?;
    let default_kind = rows::kind(&plan.interaction_kind)?;
    let mut parsed = Vec::new();
    let mut skipped = Vec::new();
    for row in &table.rows {
        match rows::interaction(row, &map, default_kind) {
            Ok(input) => parsed.push((row.line, input)),
            Err(err) => skipped.push(err),
        }
    }
    // Validate and resolve every row before writing anything.
    let mut prepared = Vec::with_capacity(parsed.len());
    for chunk in parsed.chunks(10 * BATCH) {
        let mut chunk: Vec<(u64, interactions::InteractionInput)> = chunk.to_vec();
        loop {
            let inputs = chunk.iter().map(|(_, i)| i.clone()).collect();
            match interaction_rows::prepare(db, inputs).await {
                Ok(records) => {
                    prepared.extend(records);
                    break;
                }
                Err(ApiError::Validation(errors)) if errors.iter().all(|e| e.index.is_some()) => {
                    let mut bad: Vec<usize> = errors.iter().filter_map(|e| e.index).collect();
                    bad.sort_unstable();
                    bad.dedup();
                    for error in &errors {
                        if let Some(index) = error.index {
                            skipped.push(RowError {
                                line: chunk[index].0,
                                message: format!("{}: {}", error.field, error.message),
                            });
                        }
                    }
                    for index in bad.into_iter().rev() {
                        chunk.remove(index);
                    }
                }
                Err(other) => return Err(anyhow::anyhow!("{other}")),
            }
        }
    }
    refuse_if_strict(strict, &skipped)?;
    let bar = ProgressBar::new(prepared.len() as u64);
    let mut written = 0;
    for chunk in prepared.chunks(INTERACTIONS_PER_TRANSACTION) {
        // Stamped per transaction, not when validated: replicas follow the
        // log by `created_at`, so it must be close to the commit.
        let created_at = Utc::now();
        let txn = db.begin().await?;
        for part in chunk.chunks(BATCH) {
            let records = part.iter().cloned().map(|mut row| {
                row.id = content_id(&row);
                row.created_at = created_at;
                interaction::ActiveModel::from(row)
            });
            written += interaction::Entity::insert_many(records)
                .on_conflict(
                    OnConflict::column(interaction::Column::Id)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            bar.inc(part.len() as u64);
        }
        txn.commit().await?;
    }
    bar.finish_and_clear();
    Ok(Report {
        rows: table.rows.len(),
        written: written as usize,
        skipped,
    })
}
