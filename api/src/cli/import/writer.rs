//! Validating mapped rows with the domain's rules (bad rows are reported
//! with their line) and writing the rest through the bulk services.

use std::collections::HashMap;

use chrono::Utc;
use rapport_core::table::{Row, RowError, Table};

use super::rows::{self, CUSTOMER_FIELDS, INTERACTION_FIELDS, ITEM_FIELDS};
use super::{ImportKind, Plan, Report};
use crate::cli::files::{Fields, Resolved};
use crate::domain::interaction::NewInteraction;
use crate::domain::{DomainError, FieldError};
use crate::services::Context;
use crate::services::import::{self as bulk, ImportEffects};
use crate::services::interactions::{self, ResolvedRefs};

/// Validated rows with their natural key (external id, SKU).
type Keyed<T> = Vec<(String, T)>;

/// Rows resolved against the database at once.
const RESOLVE_CHUNK: usize = 10_000;

/// A skipped row's error: its invalid fields, joined.
fn row_error(line: u64, errors: &[FieldError]) -> RowError {
    RowError {
        line,
        message: errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
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

/// What a pass over a chunk of the file does with the rows that pass.
#[derive(Debug, Clone, Copy)]
pub enum Pass {
    /// Validate only (the first pass of `--strict`, which refuses the whole
    /// file before anything is written).
    Check,
    /// Validate and write.
    Write(ImportEffects),
}

/// Imports one chunk of a table according to its plan: the rows are
/// validated with the domain's rules and, in a [`Pass::Write`], written.
/// `known` carries the references resolved by earlier chunks of the pass.
pub async fn import(
    ctx: &Context<'_>,
    plan: &Plan,
    table: &Table,
    strict: bool,
    pass: Pass,
    known: &mut ResolvedRefs,
) -> Result<Report, anyhow::Error> {
    match plan.kind {
        ImportKind::Customers => {
            let (valid, report) = validated(plan, table, strict, &CUSTOMER_FIELDS, |row, map| {
                let fields = rows::customer(row, map)?;
                let key = fields.external_id.clone().unwrap_or_default();
                Ok((key, fields))
            })?;
            let Pass::Write(_) = pass else {
                return Ok(report);
            };
            let written = bulk::upsert_customers(ctx, &last_per_key(valid)).await?;
            Ok(Report { written, ..report })
        }
        ImportKind::Items => {
            let (valid, report) = validated(plan, table, strict, &ITEM_FIELDS, |row, map| {
                let fields = rows::item(row, map)?;
                Ok((fields.sku.clone(), fields))
            })?;
            let Pass::Write(_) = pass else {
                return Ok(report);
            };
            let written = bulk::upsert_items(ctx, &last_per_key(valid)).await?;
            Ok(Report { written, ..report })
        }
        ImportKind::Interactions => {
            import_interactions(ctx, plan, table, strict, pass, known).await
        }
        ImportKind::All => anyhow::bail!("a plan names one kind"),
    }
}

/// Reads every row of `table`, keyed, and validates it into `T` with the
/// domain's rules; bad rows are reported (or, with `strict`, refuse the file).
fn validated<F, T>(
    plan: &Plan,
    table: &Table,
    strict: bool,
    fields: &Fields,
    read: impl Fn(&Row, &Resolved) -> Result<(String, F), RowError>,
) -> Result<(Keyed<T>, Report), anyhow::Error>
where
    T: TryFrom<F, Error = DomainError>,
{
    let map = plan.mapping.resolve(table, fields)?;
    let mut valid = Vec::new();
    let mut skipped = Vec::new();
    for row in &table.rows {
        match read(row, &map) {
            Ok((key, fields)) => match T::try_from(fields) {
                Ok(new) => valid.push((key, new)),
                Err(DomainError::Invalid(errors)) => skipped.push(row_error(row.line, &errors)),
                Err(other) => return Err(other.into()),
            },
            Err(err) => skipped.push(err),
        }
    }
    refuse_if_strict(strict, &skipped)?;
    let report = Report {
        rows: table.rows.len(),
        written: 0,
        skipped,
    };
    Ok((valid, report))
}

async fn import_interactions(
    ctx: &Context<'_>,
    plan: &Plan,
    table: &Table,
    strict: bool,
    pass: Pass,
    known: &mut ResolvedRefs,
) -> Result<Report, anyhow::Error> {
    let map = plan.mapping.resolve(table, &INTERACTION_FIELDS)?;
    let default_kind = rows::kind(&plan.interaction_kind)?;
    let now = Utc::now();
    let mut parsed = Vec::new();
    let mut skipped = Vec::new();
    for row in &table.rows {
        let read = rows::interaction(row, &map, default_kind).and_then(|fields| {
            NewInteraction::parse(fields, now).map_err(|errors| row_error(row.line, &errors))
        });
        match read {
            Ok(new) => parsed.push((row.line, new)),
            Err(err) => skipped.push(err),
        }
    }
    // Resolve every row's references before writing anything.
    let mut prepared = Vec::with_capacity(parsed.len());
    for chunk in parsed.chunks(RESOLVE_CHUNK) {
        let mut chunk: Vec<(u64, NewInteraction)> = chunk.to_vec();
        loop {
            let inputs = chunk.iter().map(|(_, i)| i.clone()).collect();
            match interactions::prepare_with(ctx.db, inputs, now, known).await {
                Ok(records) => {
                    prepared.extend(records);
                    break;
                }
                Err(DomainError::Invalid(errors)) if errors.iter().all(|e| e.index.is_some()) => {
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
    let written = match pass {
        Pass::Check => 0,
        Pass::Write(effects) => bulk::record_interactions(ctx, prepared, effects).await?,
    };
    Ok(Report {
        rows: table.rows.len(),
        written,
        skipped,
    })
}
