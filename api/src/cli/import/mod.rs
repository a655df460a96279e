//! `rapport import`: CSV files of any layout mapped onto customers, items or
//! interactions, through the same validation as the API. Bad rows are
//! reported with their line numbers and skipped (or, with `--strict`, the
//! whole file is refused before anything is written). Re-running upserts by
//! external id and SKU, and interactions get ids derived from their content,
//! so a re-run creates no duplicates.

mod presets;
mod rows;
mod writer;

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use rapport_core::table::{RowError, TableOptions, TableReader};
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

use super::files::{CsvArgs, Mapping};
use crate::config::DatabaseSettings;
use crate::db;
use crate::domain::DomainError;
use crate::services::Context;
use crate::services::audit::Actor;
use crate::services::import::{self as bulk, ImportEffects, ImportSummary};
use crate::services::interactions::ResolvedRefs;
pub use presets::Preset;
use writer::Imported;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    Customers,
    Items,
    Interactions,
    /// Every kind a preset provides, in order (presets only).
    All,
}

/// Arguments of `rapport import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What to import.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The CSV files, or glob patterns of them (a directory with `--preset movielens-100k`).
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Columns to fields, by header name or 0-based number:
    /// customers `external_id=COL,name=COL,email=COL,phone=COL,company=COL,segment=COL,lifecycle_stage=COL,tags=COL,attr:NAME=COL`;
    /// items `sku=COL,name=COL,category=COL,description=COL,price=COL,tags=COL,active=COL,attr:NAME=COL`;
    /// interactions `customer=COL` (external id) or `customer_id=COL`, `item=COL` (SKU) or `item_id=COL`,
    /// `kind=COL,value=COL,rating=COL,channel=COL,note=COL,occurred_at=COL[:unix|:rfc3339|:datetime]`.
    #[arg(long, value_name = "MAPPING")]
    pub map: Option<String>,
    /// A known layout: movielens-100k (a directory with u.user, u.item, u.data) or telco-churn.
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Kind of every interaction when the file has no kind column.
    #[arg(long, default_value = "view")]
    pub interaction_kind: String,
    /// Columns not in the mapping become attributes (customers and items).
    #[arg(long)]
    pub rest_as_attributes: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
    /// Do not run the interaction automations on imported interactions.
    #[arg(long)]
    pub no_automations: bool,
    /// Emit one `interaction.created` webhook event per imported interaction.
    #[arg(long)]
    pub emit_events: bool,
    #[command(flatten)]
    pub database: DatabaseSettings,
}

/// One file to import, fully described.
#[derive(Clone)]
pub struct Plan {
    pub kind: ImportKind,
    pub file: PathBuf,
    pub options: TableOptions,
    pub mapping: Mapping,
    pub interaction_kind: String,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Rows read, malformed ones included.
    pub rows: usize,
    pub written: usize,
    pub skipped: Vec<RowError>,
}

/// The files named on the command line, with glob patterns (`'logs/*.csv'`,
/// when the shell did not expand them) expanded in name order.
fn files(args: &ImportArgs) -> Result<Vec<PathBuf>, anyhow::Error> {
    let mut out = Vec::new();
    for given in &args.files {
        let text = given.to_string_lossy();
        if !text.contains(['*', '?', '[']) {
            out.push(given.clone());
            continue;
        }
        let mut matched: Vec<PathBuf> = glob::glob(&text)
            .map_err(|e| anyhow::anyhow!("pattern `{text}`: {e}"))?
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("pattern `{text}`: {e}"))?;
        anyhow::ensure!(!matched.is_empty(), "pattern `{text}` matches no file");
        matched.sort();
        out.extend(matched);
    }
    Ok(out)
}

fn plans(args: &ImportArgs) -> Result<Vec<Plan>, anyhow::Error> {
    let mut plans = Vec::new();
    for file in files(args)? {
        plans.extend(plans_of(args, file)?);
    }
    Ok(plans)
}

fn plans_of(args: &ImportArgs, file: PathBuf) -> Result<Vec<Plan>, anyhow::Error> {
    if let Some(preset) = args.preset {
        return presets::plans(preset, args.kind, &file);
    }
    if args.kind == ImportKind::All {
        anyhow::bail!("`import all` needs --preset");
    }
    let map = args
        .map
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("--map is required without --preset"))?;
    let mut mapping = Mapping::parse(map)?;
    mapping.rest_as_attributes = args.rest_as_attributes;
    Ok(vec![Plan {
        kind: args.kind,
        file,
        options: args.csv.options(),
        mapping,
        interaction_kind: args.interaction_kind.clone(),
    }])
}

/// The import's kind as named in summaries.
fn kind_name(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Customers => "customers",
        ImportKind::Items => "items",
        ImportKind::Interactions => "interactions",
        ImportKind::All => "all",
    }
}

/// Skipped rows counted per reason (the message without the values it names).
fn reasons(skipped: &[RowError]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for error in skipped {
        let reason = error
            .message
            .split('`')
            .step_by(2)
            .collect::<Vec<_>>()
            .join("…");
        match counts.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((reason, 1)),
        }
    }
    counts.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    counts
}

/// A file's SHA-256 (hex) and its number of lines, in one streamed read.
fn digest_and_lines(path: &std::path::Path) -> Result<(String, u64), anyhow::Error> {
    use sha2::{Digest, Sha256};
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot read {}: {e}", path.display());
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let mut hasher = Sha256::new();
    let mut lines = 0u64;
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut file, &mut buffer).map_err(cannot)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let digest = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((digest, lines))
}

/// Whether `lines` of interactions (of a `plan` of that kind) are a load
/// large enough, against the table, for the table's indexes to be set aside
/// while it loads ([`db::bulk_load`]).
async fn large_load(
    db: &DatabaseConnection,
    plan: &Plan,
    lines: u64,
) -> Result<bool, anyhow::Error> {
    if plan.kind != ImportKind::Interactions || lines < db::bulk_load::MIN_ROWS {
        return Ok(false);
    }
    let existing = db::bulk_load::rows_up_to(db, lines).await?;
    Ok(db::bulk_load::worthwhile(lines, existing))
}

/// Rows read, validated and written at a time: memory stays bounded by a
/// chunk whatever the size of the file, and each chunk of interactions is
/// one transaction. Three chunks are in flight, so the chunk sets most of
/// the peak: over 1,000,000 rows into SQLite (alternating runs), 100,000
/// rows took 6.8-7.3 s at 308 MiB and 50,000 rows 6.5-7.2 s at 250 MiB;
/// into PostgreSQL 5.8 s at 210 MiB against 5.2-6.0 s at 150-170 MiB.
const CHUNK_ROWS: usize = 50_000;

/// The file's reader, handed back with the chunk read from it.
type ReadAhead = (TableReader<BufReader<File>>, Option<writer::ReadChunk>);

/// Reads and validates the next chunk on a blocking thread, so that it
/// overlaps with writing the chunk before it.
fn read_ahead(
    mut reader: TableReader<BufReader<File>>,
    plan: Arc<Plan>,
) -> JoinHandle<Result<ReadAhead, anyhow::Error>> {
    tokio::task::spawn_blocking(move || {
        let chunk = reader
            .next_chunk(CHUNK_ROWS)?
            .map(|table| writer::read_chunk(&plan, table))
            .transpose()?;
        Ok((reader, chunk))
    })
}

/// A chunk of interactions being written by a task of its own.
type Writing = JoinHandle<Result<usize, DomainError>>;

/// Waits for the chunk being written, if any; returns the rows it wrote.
async fn written(writing: Option<Writing>) -> Result<usize, anyhow::Error> {
    match writing {
        Some(task) => Ok(task.await??),
        None => Ok(0),
    }
}

/// One pass over the file of `plan`, a chunk at a time, adding up the
/// chunks' reports (malformed rows included). Three chunks are in flight:
/// one read and validated on a blocking thread, one whose references are
/// looked up on the `lookups` connection, and one written by a task of its
/// own on the connection of `ctx`, one at a time and in the file's order.
async fn pass_over(
    ctx: &Context<'_>,
    lookups: &DatabaseConnection,
    plan: &Plan,
    strict: bool,
    pass: writer::Pass,
) -> Result<Report, anyhow::Error> {
    let reader = TableReader::open(&plan.file, &plan.options)?;
    let size = std::fs::metadata(&plan.file).map_or(0, |m| m.len());
    let bar = ProgressBar::new(size);
    let shared = Arc::new(plan.clone());
    let mut total = Report::default();
    let mut refs = writer::References {
        db: lookups,
        known: ResolvedRefs::default(),
    };
    let mut next = read_ahead(reader, Arc::clone(&shared));
    let mut writing: Option<Writing> = None;
    let outcome: Result<(), anyhow::Error> = async {
        loop {
            let (reader, chunk) = next.await??;
            let Some(mut chunk) = chunk else {
                return Ok(());
            };
            bar.set_position(reader.bytes_read());
            next = read_ahead(reader, Arc::clone(&shared));
            let malformed = std::mem::take(&mut chunk.table.skipped);
            let report = match writer::import(ctx, plan, chunk, strict, pass, &mut refs).await? {
                Imported::Done(report) => report,
                Imported::Interactions {
                    report,
                    rows,
                    effects,
                } => {
                    total.written += written(writing.take()).await?;
                    let (db, actor) = (ctx.db.clone(), ctx.actor.clone());
                    writing = Some(tokio::spawn(async move {
                        let ctx = Context::for_system(&db, actor);
                        bulk::record_interactions(&ctx, rows, effects).await
                    }));
                    report
                }
            };
            total.rows += report.rows + malformed.len();
            total.written += report.written;
            total.skipped.extend(report.skipped);
            total.skipped.extend(malformed);
        }
    }
    .await;
    // The chunk in flight lands (or fails) before the pass returns, also
    // when a later one failed: nothing writes after the caller moves on.
    let last = written(writing.take()).await;
    outcome?;
    total.written += last?;
    bar.finish_and_clear();
    Ok(total)
}

/// Runs the import and prints a report; fails in strict mode when a row is
/// bad, and when rows were skipped and nothing was written.
pub async fn run(args: ImportArgs) -> Result<(), anyhow::Error> {
    let plans = plans(&args)?;
    let db = db::connect_for_bulk_load(&args.database).await?;
    db::migrate(&db).await?;
    let lookups = db::connect_for_lookups(&args.database).await?;
    let ctx = Context::for_system(&db, Actor::cli());
    let effects = ImportEffects {
        run_automations: !args.no_automations,
        emit_events: args.emit_events,
    };
    for plan in plans {
        let started = std::time::Instant::now();
        if args.csv.strict {
            // Every row is checked before anything is written.
            pass_over(&ctx, &lookups, &plan, true, writer::Pass::Check).await?;
        }
        let write = writer::Pass::Write(effects);
        let (sha256, lines) = digest_and_lines(&plan.file)?;
        let bulk = large_load(&db, &plan, lines).await?;
        if bulk {
            db::bulk_load::set_aside(&db).await?;
        }
        let written = pass_over(&ctx, &lookups, &plan, args.csv.strict, write).await;
        if bulk {
            db::bulk_load::restore(&db).await?;
        }
        let mut report = written?;
        report.skipped.sort_by_key(|e| e.line);
        let summary = ImportSummary {
            kind: kind_name(plan.kind).to_owned(),
            file: plan.file.display().to_string(),
            sha256,
            read: report.rows,
            written: report.written,
            skipped: report.skipped.len(),
            skipped_by_reason: reasons(&report.skipped),
            first_errors: report
                .skipped
                .iter()
                .take(20)
                .map(ToString::to_string)
                .collect(),
        };
        bulk::completed(&ctx, &summary).await?;
        println!(
            "{}: {} rows read, {} written, {} skipped in {:.2} s",
            summary.file,
            summary.read,
            summary.written,
            summary.skipped,
            started.elapsed().as_secs_f64()
        );
        for (reason, count) in &summary.skipped_by_reason {
            println!("  skipped {count}: {reason}");
        }
        for error in &summary.first_errors {
            println!("  {error}");
        }
        if report.skipped.len() > summary.first_errors.len() {
            println!(
                "  ... and {} more",
                report.skipped.len() - summary.first_errors.len()
            );
        }
        if summary.read > 0 && summary.skipped == summary.read {
            anyhow::bail!(
                "{}: every row was skipped, nothing was written",
                summary.file
            );
        }
    }
    Ok(())
}
