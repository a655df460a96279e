//! `rapport eval ENGINE ...`: arguments, loading, running the protocol and output.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rapport_core::eval::{evaluate, split};
use rapport_core::table::{RowError, TableError, TableOptions, read_table_file};
use rapport_core::{EngineError, IdMap, Interaction, Params};
use thiserror::Error;

use crate::mapping::{InteractionMap, ItemMap, load};
use crate::registry;
use crate::report::Report;

/// Arguments of the offline evaluation command.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Engine to evaluate (see the engine list).
    #[arg(value_name = "ENGINE")]
    pub engine: String,
    /// CSV file of interactions.
    #[arg(long, value_name = "FILE")]
    pub interactions: PathBuf,
    /// Columns of the interactions file, by header name or 0-based number:
    /// customer=COL,item=COL[,occurred_at=COL[:unix|:rfc3339|:datetime]][,weight=COL].
    #[arg(
        long,
        value_name = "MAPPING",
        default_value = "customer=customer,item=item,occurred_at=occurred_at"
    )]
    pub map: String,
    /// CSV file of item metadata (for content engines).
    #[arg(long, value_name = "FILE")]
    pub items: Option<PathBuf>,
    /// Columns of the items file:
    /// item=COL[,name=COL][,description=COL][,category=COL][,tags=COL][,tag_flags=FROM-TO].
    #[arg(
        long = "map-items",
        value_name = "MAPPING",
        default_value = "item=item,name=name"
    )]
    pub map_items: String,
    /// Length of the recommendation lists.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub k: u16,
    /// Engine parameter override, name=value (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Field separator of both files: `,` `;` `tab` or `|` (detected when absent).
    #[arg(long, value_name = "SEP")]
    pub separator: Option<String>,
    /// Files have no header row: columns are 0-based numbers.
    #[arg(long)]
    pub no_header: bool,
    /// Refuse the files at the first malformed row instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Write the split as train.csv and test.csv into this directory.
    #[arg(long, value_name = "DIR")]
    pub dump_split: Option<PathBuf>,
}

/// Why an evaluation could not run.
#[derive(Debug, Error)]
pub enum EvalError {
    /// No engine of that name.
    #[error("unknown engine `{name}` (available: {available})")]
    UnknownEngine {
        /// The name asked for.
        name: String,
        /// The registered names.
        available: String,
    },
    /// A bad `--map`, `--map-items` or `--separator`.
    #[error("bad mapping: {0}")]
    Map(String),
    /// A file could not be read, or named an unknown column.
    #[error(transparent)]
    Table(#[from] TableError),
    /// A row that could not be mapped, in strict mode.
    #[error("malformed row at {0}")]
    Row(RowError),
    /// No usable interaction.
    #[error("no usable interaction in {0}")]
    NoData(String),
    /// The engine refused the data or parameters.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Writing output failed.
    #[error("cannot write {what}: {source}")]
    Write {
        /// What was being written.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn separator(arg: Option<&str>) -> Result<Option<u8>, EvalError> {
    match arg {
        None => Ok(None),
        Some("," | "comma") => Ok(Some(b',')),
        Some(";" | "semicolon") => Ok(Some(b';')),
        Some("\t" | "tab" | "\\t") => Ok(Some(b'\t')),
        Some("|" | "pipe") => Ok(Some(b'|')),
        Some(other) => Err(EvalError::Map(format!(
            "separator `{other}` is not one of `,` `;` tab `|`"
        ))),
    }
}

fn write_split(
    dir: &Path,
    name: &str,
    rows: &[Interaction],
    customers: &IdMap,
    items: &IdMap,
) -> Result<(), EvalError> {
    let path = dir.join(name);
    let err = |source| EvalError::Write {
        what: path.display().to_string(),
        source,
    };
    let mut out = BufWriter::new(File::create(&path).map_err(err)?);
    writeln!(out, "customer,item,occurred_at").map_err(err)?;
    for x in rows {
        let customer = customers.id(x.customer).unwrap_or_default();
        let item = items.id(x.item).unwrap_or_default();
        writeln!(out, "{customer},{item},{}", x.timestamp).map_err(err)?;
    }
    out.flush().map_err(err)
}

/// Runs the evaluation protocol as the arguments say and writes the table
/// (or JSON) to `out`.
pub fn run_eval(args: &EvalArgs, out: &mut dyn Write) -> Result<(), EvalError> {
    let engine = registry()
        .get(&args.engine)
        .ok_or_else(|| EvalError::UnknownEngine {
            name: args.engine.clone(),
            available: registry().names().join(", "),
        })?;
    let mut params = Params::new();
    for pair in &args.params {
        params.parse_pair(pair)?;
    }
    // Check parameters before reading any file.
    params.resolve(&engine.describe().params)?;
    let interaction_map = InteractionMap::parse(&args.map)?;
    let options = TableOptions {
        separator: separator(args.separator.as_deref())?,
        has_header: !args.no_header,
        strict: args.strict,
    };
    let interactions = read_table_file(&args.interactions, &options)?;
    let items = match &args.items {
        Some(path) => Some((
            read_table_file(path, &options)?,
            ItemMap::parse(&args.map_items)?,
        )),
        None => None,
    };
    let loaded = load(
        &interactions,
        &interaction_map,
        items.as_ref().map(|(t, m)| (t, m)),
        args.strict,
    )?;
    if loaded.data.interactions.is_empty() {
        return Err(EvalError::NoData(args.interactions.display().to_string()));
    }
    if let Some(dir) = &args.dump_split {
        std::fs::create_dir_all(dir).map_err(|source| EvalError::Write {
            what: dir.display().to_string(),
            source,
        })?;
        let parts = split(&loaded.data.interactions);
        write_split(
            dir,
            "train.csv",
            &parts.train,
            &loaded.customers,
            &loaded.items,
        )?;
        write_split(
            dir,
            "test.csv",
            &parts.test,
            &loaded.customers,
            &loaded.items,
        )?;
    }
    let result = evaluate(engine, &loaded.data, &params, usize::from(args.k))?;
    let report = Report::new(result, &params, &loaded.skipped);
    let written = if args.json {
        report.write_json(out)
    } else {
        report.write_table(out)
    };
    written.map_err(|source| EvalError::Write {
        what: "the report".into(),
        source,
    })
}
