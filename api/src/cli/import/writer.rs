//! Validating mapped rows with the domain's rules (bad rows are reported
//! with their line) and writing the rest through the bulk services.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::Utc;
use rapport_core::table::{Row, RowError, Table};
use sea_orm::DatabaseConnection;

use super::rows::{self, CUSTOMER_FIELDS, INTERACTION_FIELDS, ITEM_FIELDS};
use super::{ImportKind, Plan, Report};
use crate::cli::files::{Fields, Resolved};
use crate::domain::interaction::NewInteraction;
use crate::domain::{DomainError, FieldError};
use crate::entities::interaction;
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
/// validated with the domain's rules (interactions already were, by
/// [`read_chunk`]) and, in a [`Pass::Write`], written.
/// Interactions are left for the caller to write ([`Imported::Interactions`]),
/// so that it can prepare the next chunk meanwhile.
pub async fn import(
    ctx: &Context<'_>,
    plan: &Plan,
    chunk: ReadChunk,
    strict: bool,
    pass: Pass,
    refs: &mut References<'_>,
) -> Result<Imported, anyhow::Error> {
    let table = &chunk.table;
    match plan.kind {
        ImportKind::Customers => {
            let (valid, report) = validated(plan, table, strict, &CUSTOMER_FIELDS, |row, map| {
                let fields = rows::customer(row, map)?;
                let key = fields.external_id.clone().unwrap_or_default();
                Ok((key, fields))
            })?;
            let Pass::Write(_) = pass else {
                return Ok(Imported::Done(report));
            };
            let written = bulk::upsert_customers(ctx, &last_per_key(valid)).await?;
            Ok(Imported::Done(Report { written, ..report }))
        }
        ImportKind::Items => {
            let (valid, report) = validated(plan, table, strict, &ITEM_FIELDS, |row, map| {
                let fields = rows::item(row, map)?;
                Ok((fields.sku.clone(), fields))
            })?;
            let Pass::Write(_) = pass else {
                return Ok(Imported::Done(report));
            };
            let written = bulk::upsert_items(ctx, &last_per_key(valid)).await?;
            Ok(Imported::Done(Report { written, ..report }))
        }
        ImportKind::Interactions => {
            let parsed = chunk
                .interactions
                .ok_or_else(|| anyhow::anyhow!("the chunk was read without its interactions"))?;
            let rows = chunk.table.rows.len();
            import_interactions(parsed, rows, strict, pass, refs).await
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

/// Interactions of a chunk that passed validation, with their line, and
/// the lines that did not.
pub struct ParsedInteractions {
    lines: Vec<u64>,
    rows: Vec<NewInteraction>,
    skipped: Vec<RowError>,
}

/// What importing a chunk leaves to do.
pub enum Imported {
    /// Nothing: the chunk is written (or only checked).
    Done(Report),
    /// Write these interactions, their references resolved; `report` has
    /// yet to count them as written.
    Interactions {
        report: Report,
        rows: Vec<interaction::Model>,
        effects: ImportEffects,
    },
}

/// Where the references of interactions are looked up: a connection of
/// its own, so that lookups for a chunk run while the one before is
/// written, and the references resolved so far.
pub struct References<'a> {
    /// The lookup connection.
    pub db: &'a DatabaseConnection,
    /// What earlier chunks resolved.
    pub known: ResolvedRefs,
}

/// A chunk of the file as read and, for interactions, validated: the part
/// of an import that needs no database, so it can run on another thread
/// while the chunk before it is written.
pub struct ReadChunk {
    /// The chunk's rows as read.
    pub table: Table,
    /// Its interactions validated (a plan of interactions only).
    interactions: Option<ParsedInteractions>,
}

/// Validates the interactions of `table` when `plan` imports interactions.
pub fn read_chunk(plan: &Plan, table: Table) -> Result<ReadChunk, anyhow::Error> {
    let interactions = match plan.kind {
        ImportKind::Interactions => Some(parse_interactions(plan, &table)?),
        _ => None,
    };
    Ok(ReadChunk {
        table,
        interactions,
    })
}

/// Every row of `table` mapped and validated into a new interaction.
fn parse_interactions(plan: &Plan, table: &Table) -> Result<ParsedInteractions, anyhow::Error> {
    let map = plan.mapping.resolve(table, &INTERACTION_FIELDS)?;
    let default_kind = rows::kind(&plan.interaction_kind)?;
    let now = Utc::now();
    let mut lines = Vec::with_capacity(table.rows.len());
    let mut parsed = Vec::with_capacity(table.rows.len());
    let mut skipped = Vec::new();
    for row in &table.rows {
        let read = rows::interaction(row, &map, default_kind).and_then(|fields| {
            NewInteraction::parse(fields, now).map_err(|errors| row_error(row.line, &errors))
        });
        match read {
            Ok(new) => {
                lines.push(row.line);
                parsed.push(new);
            }
            Err(err) => skipped.push(err),
        }
    }
    Ok(ParsedInteractions {
        lines,
        rows: parsed,
        skipped,
    })
}

/// Resolves the references of validated interactions (rows whose customer
/// or item does not exist are skipped and reported).
async fn import_interactions(
    read: ParsedInteractions,
    rows: usize,
    strict: bool,
    pass: Pass,
    refs: &mut References<'_>,
) -> Result<Imported, anyhow::Error> {
    let now = Utc::now();
    let ParsedInteractions {
        lines,
        rows: parsed,
        mut skipped,
    } = read;
    // Resolve every row's references before writing anything; the rows are
    // copied only when some must be left out.
    let mut prepared = Vec::with_capacity(parsed.len());
    for (lines, inputs) in lines
        .chunks(RESOLVE_CHUNK)
        .zip(parsed.chunks(RESOLVE_CHUNK))
    {
        let (mut lines, mut inputs) = (Cow::Borrowed(lines), Cow::Borrowed(inputs));
        loop {
            match interactions::prepare_with(refs.db, &inputs, now, &mut refs.known).await {
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
                                line: lines[index],
                                message: format!("{}: {}", error.field, error.message),
                            });
                        }
                    }
                    let (kept_lines, kept) = (lines.to_mut(), inputs.to_mut());
                    for index in bad.into_iter().rev() {
                        kept_lines.remove(index);
                        kept.remove(index);
                    }
                }
                Err(other) => return Err(anyhow::anyhow!("{other}")),
            }
        }
    }
    refuse_if_strict(strict, &skipped)?;
    let report = Report {
        rows,
        written: 0,
        skipped,
    };
    Ok(match pass {
        Pass::Check => Imported::Done(report),
        Pass::Write(effects) => Imported::Interactions {
            report,
            rows: prepared,
            effects,
        },
    })
}
