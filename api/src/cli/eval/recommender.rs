//! `rapport eval RECOMMENDER --interactions FILE --map ...`: reading the
//! files, running the recommender protocol and writing the report.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use rapport_core::eval::{evaluate, split};
use rapport_core::table::read_table_file;
use rapport_core::{DynRecommender, IdMap, Interaction};

use super::load::{InteractionMap, ItemMap, Loaded, load};
use super::report::Report;
use super::tune::TuneArgs;
use super::{EvalError, params};
use crate::cli::files::CsvArgs;

/// Arguments of `rapport eval` for a recommender.
#[derive(Debug, Clone, Args)]
pub struct RecommenderEvalArgs {
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
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = crate::cli::parse_param)]
    pub params: Vec<(String, String)>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
    /// Write the split as train.csv and test.csv into this directory.
    #[arg(long, value_name = "DIR")]
    pub dump_split: Option<PathBuf>,
    #[command(flatten)]
    pub tune: TuneArgs,
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

/// Reads the interactions (and items) files as the arguments map them; an
/// error when no row is usable.
pub(super) fn read_data(args: &RecommenderEvalArgs) -> Result<Loaded, EvalError> {
    let interaction_map = InteractionMap::parse(&args.map)?;
    let item_map = ItemMap::parse(&args.map_items)?;
    let options = args.csv.options();
    let interactions = read_table_file(&args.interactions, &options)?;
    let items = match &args.items {
        Some(path) => Some(read_table_file(path, &options)?),
        None => None,
    };
    let loaded = load(
        &interactions,
        &interaction_map,
        items.as_ref().map(|t| (t, &item_map)),
        args.csv.strict,
    )?;
    if loaded.data.interactions.is_empty() {
        return Err(EvalError::NoData(args.interactions.display().to_string()));
    }
    Ok(loaded)
}

/// Runs the recommender protocol on the files as the arguments say and
/// writes the table (or JSON) to `out`.
pub fn run(
    engine: &dyn DynRecommender,
    args: &RecommenderEvalArgs,
    out: &mut dyn Write,
) -> Result<(), EvalError> {
    let params = params(&args.params, &engine.describe().params)?;
    let loaded = read_data(args)?;
    if let Some(dir) = &args.dump_split {
        std::fs::create_dir_all(dir).map_err(|source| EvalError::Write {
            what: dir.display().to_string(),
            source,
        })?;
        let parts = split(&loaded.data.interactions);
        for (name, rows) in [("train.csv", &parts.train), ("test.csv", &parts.test)] {
            write_split(dir, name, rows, &loaded.customers, &loaded.items)?;
        }
    }
    let result = evaluate(engine, &loaded.data, &params, usize::from(args.k))?;
    let report = Report::new(result, &params, &loaded.skipped);
    let written = if args.json {
        report.write_json(out)
    } else {
        report.write_table(out)
    };
    written.map_err(EvalError::report)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use rapport_core::EngineError;
    use rapport_core::table::TableError;
    use rapport_engines::registry;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: RecommenderEvalArgs,
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

    fn run_on(file: &Path, engine: &str, map: &str, extra: &[&str]) -> Result<String, EvalError> {
        let mut argv = vec![
            "eval",
            "--interactions",
            file.to_str().unwrap(),
            "--map",
            map,
        ];
        argv.extend_from_slice(extra);
        let cli = Cli::try_parse_from(argv).unwrap();
        let mut out = Vec::new();
        run(registry().recommender(engine).unwrap(), &cli.args, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn run_log(dir: &Path, engine: &str, extra: &[&str]) -> Result<String, EvalError> {
        let file = dir.join("log.csv");
        std::fs::write(&file, LOG).unwrap();
        run_on(
            &file,
            engine,
            "customer=who,item=what,occurred_at=when",
            extra,
        )
    }

    #[test]
    fn table_reports_metrics_split_and_skipped_rows() {
        let dir = tempfile::tempdir().unwrap();
        let split_dir = dir.path().join("split");
        let extra = ["--k", "2", "--dump-split", split_dir.to_str().unwrap()];
        let text = run_log(dir.path(), "item_item", &extra).unwrap();
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
        let text = run_log(dir.path(), "popularity", &["--k", "2", "--json"]).unwrap();
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
        match run_log(dir.path(), "popularity", &["--strict"]) {
            Err(EvalError::Table(TableError::Malformed(e))) => assert_eq!(e.line, 5),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn caller_mistakes_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = run_log(dir.path(), "item_item", &["--param", "neighbours=0"]).unwrap_err();
        assert!(
            matches!(err, EvalError::Engine(EngineError::InvalidParam { .. })),
            "{err}"
        );
        let err = run_log(dir.path(), "ease", &["--param", "max_items=3"]).unwrap_err();
        assert!(err.to_string().contains("limit of 3 items"), "{err}");
        let err = run_log(dir.path(), "content", &[]).unwrap_err();
        assert!(err.to_string().contains("item metadata"), "{err}");
        let log = dir.path().join("log.csv");
        let err = run_on(&log, "popularity", "customer=who,item=nope", &[]).unwrap_err();
        assert!(err.to_string().contains("unknown column `nope`"), "{err}");
        let err = run_on(&log, "popularity", "customer=who,item=what,colour=x", &[]).unwrap_err();
        assert!(matches!(err, EvalError::Map(_)), "{err}");
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "who,what\n").unwrap();
        let err = run_on(&empty, "popularity", "customer=who,item=what", &[]).unwrap_err();
        assert!(matches!(err, EvalError::NoData(_)), "{err}");
    }
}
