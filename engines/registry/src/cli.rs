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
    /// Engine to evaluate: popularity, item_item, user_user, ease or content.
    #[arg(value_name = "ENGINE")]
    pub engine: String,
    /// CSV file of interactions.
    #[arg(long, value_name = "FILE")]
    pub interactions: PathBuf,
    /// Columns of the interactions file, by header name or 0-based number:
    /// `customer=COL,item=COL[,occurred_at=COL[:unix|:rfc3339|:datetime]][,weight=COL]`.
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
    /// `item=COL[,name=COL][,description=COL][,category=COL][,tags=COL][,tag_flags=FROM-TO]`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: EvalArgs,
    }

    /// Three customers with five interactions each (one goes to test), one
    /// with two (all train), and a malformed row on line 5.
    const LOG: &str = "\
who;what;when
a;i1;2024-01-01 10:00:00
a;i2;2024-01-02 10:00:00
a;i3;2024-01-03 10:00:00
a;i4
a;i4;2024-01-04 10:00:00
a;i5;2024-01-05 10:00:00
b;i1;2024-01-01
b;i2;2024-01-02
b;i3;2024-01-03
b;i4;2024-01-04
b;i6;2024-01-06
c;i2;1704067200
c;i3;1704153600
c;i1;1704240000
c;i5;1704326400
c;i6;1704412800
d;i1;2024-01-01
d;i6;2024-01-02
";

    fn run(dir: &Path, extra: &[&str]) -> Result<String, EvalError> {
        let file = dir.join("log.csv");
        std::fs::write(&file, LOG).unwrap();
        let mut argv = vec![
            "eval",
            "--interactions",
            file.to_str().unwrap(),
            "--map",
            "customer=who,item=what,occurred_at=when",
        ];
        argv.extend_from_slice(extra);
        let cli = Cli::try_parse_from(argv).unwrap();
        let mut out = Vec::new();
        run_eval(&cli.args, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn table_reports_metrics_split_and_skipped_rows() {
        let dir = tempfile::tempdir().unwrap();
        let split_dir = dir.path().join("split");
        let text = run(
            dir.path(),
            &[
                "item_item",
                "--k",
                "2",
                "--dump-split",
                split_dir.to_str().unwrap(),
            ],
        )
        .unwrap();
        assert!(text.starts_with("engine"), "{text}");
        assert!(text.contains("P@2") && text.contains("item_item"), "{text}");
        assert!(
            text.contains(
                "train 14 rows, test 3 rows, 3 customers evaluated, 6 train items, skipped rows: 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("skipped line 5: 2 fields where 3 were expected"),
            "{text}"
        );
        let test = std::fs::read_to_string(split_dir.join("test.csv")).unwrap();
        assert_eq!(
            test,
            "customer,item,occurred_at\na,i5,1704448800\nb,i6,1704499200\nc,i6,1704412800\n"
        );
        let train = std::fs::read_to_string(split_dir.join("train.csv")).unwrap();
        assert_eq!(train.lines().count(), 15);
        assert_eq!(train.lines().nth(1), Some("a,i1,1704103200"));
    }

    #[test]
    fn popularity_metrics_by_hand_in_json() {
        // Train counts: i1 4, i2 3, i3 3, i4 2, i6 1 (d's), i5 1 (c's).
        // Candidates exclude each customer's own train items:
        // a (train i1-i4) gets [i6, i5]: test i5 at rank 2.
        // b (train i1-i4) gets [i6, i5]: test i6 at rank 1.
        // c (train i1, i2, i3, i5) gets [i4, i6]: test i6 at rank 2.
        // P@2 = 1/2 each; NDCG = (0.6309 + 1 + 0.6309) / 3 = 0.7539531691;
        // MAP = (1/2 + 1 + 1/2) / 3 = 2/3; coverage = {i4, i5, i6} / 6.
        let dir = tempfile::tempdir().unwrap();
        let text = run(dir.path(), &["popularity", "--k", "2", "--json"]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let m = &v["metrics"];
        let close = |key: &str, want: f64| {
            let got = m[key].as_f64().unwrap();
            assert!((got - want).abs() < 1e-9, "{key}: {got} vs {want}");
        };
        close("precision", 0.5);
        close("recall", 1.0);
        close("ndcg", 0.7539531691);
        close("map", 2.0 / 3.0);
        close("coverage", 0.5);
        assert_eq!(v["skipped_rows"], 1);
        assert_eq!(v["test_rows"], 3);
    }

    #[test]
    fn strict_mode_refuses_the_malformed_row() {
        let dir = tempfile::tempdir().unwrap();
        match run(dir.path(), &["popularity", "--strict"]) {
            Err(EvalError::Table(TableError::Malformed(e))) => assert_eq!(e.line, 5),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn caller_mistakes_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = run(dir.path(), &["logistic"]).unwrap_err();
        assert!(
            err.to_string().contains("unknown engine `logistic`"),
            "{err}"
        );
        assert!(err.to_string().contains("item_item"), "{err}");
        let err = run(dir.path(), &["item_item", "--param", "neighbours=0"]).unwrap_err();
        assert!(
            matches!(err, EvalError::Engine(EngineError::InvalidParam { .. })),
            "{err}"
        );
        let err = run(dir.path(), &["ease", "--param", "max_items=3"]).unwrap_err();
        assert!(err.to_string().contains("limit of 3 items"), "{err}");
        let err = run(dir.path(), &["popularity", "--separator", "x"]).unwrap_err();
        assert!(matches!(err, EvalError::Map(_)), "{err}");
        let err = run(dir.path(), &["content"]).unwrap_err();
        assert!(err.to_string().contains("item metadata"), "{err}");
        let run_on = |file: &Path, map: &str| {
            let cli = Cli::try_parse_from([
                "eval",
                "popularity",
                "--interactions",
                file.to_str().unwrap(),
                "--map",
                map,
            ])
            .unwrap();
            run_eval(&cli.args, &mut Vec::new()).unwrap_err()
        };
        let err = run_on(&dir.path().join("log.csv"), "customer=who,item=nope");
        assert!(err.to_string().contains("unknown column `nope`"), "{err}");
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "who,what\n").unwrap();
        let err = run_on(&empty, "customer=who,item=what");
        assert!(matches!(err, EvalError::NoData(_)), "{err}");
    }
}
