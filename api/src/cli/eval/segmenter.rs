//! `rapport eval segments --customers FILE --features COL,... [--k 4 | --k-range 2..8]`
//! (k-means on chosen columns of a customer table) or `rapport eval segments
//! --interactions FILE --map ... --rfm` (on recency, frequency and monetary
//! value from an interaction log), as DESIGN.md §5 defines them, printing per
//! k the inertia, silhouette, sizes, iterations and fit time.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use rapport_core::Params;
use rapport_core::table::read_table_file;
use rapport_segments::{KReport, Segments};
use serde::Serialize;

use super::EvalError;
use super::rfm::{RfmMap, records};
use crate::cli::files::CsvArgs;

/// Arguments of `rapport eval segments`.
#[derive(Debug, Clone, Args)]
pub struct SegmenterEvalArgs {
    /// Customer table (CSV, one row per customer).
    #[arg(long, value_name = "FILE", required_unless_present = "interactions")]
    pub customers: Option<PathBuf>,
    /// Numeric columns to segment on (blanks count as 0).
    #[arg(
        long,
        value_name = "COL,...",
        value_delimiter = ',',
        required_unless_present = "rfm",
        conflicts_with = "rfm"
    )]
    pub features: Vec<String>,
    /// Interaction log (CSV) to segment its customers on RFM.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "customers",
        requires = "rfm"
    )]
    pub interactions: Option<PathBuf>,
    /// Columns of the interaction log:
    /// `customer=COL,occurred_at=COL[:FORMAT][,value=COL][,basket=COL][,kind=COL]`.
    #[arg(
        long,
        value_name = "MAPPING",
        default_value = "customer=customer,occurred_at=occurred_at,value=value"
    )]
    pub map: String,
    /// Segment on log1p of recency (days), frequency (baskets) and monetary value.
    #[arg(long, requires = "interactions")]
    pub rfm: bool,
    /// With a mapped kind column, the kinds RFM counts.
    #[arg(
        long,
        value_name = "KIND,...",
        value_delimiter = ',',
        default_value = "purchase"
    )]
    pub kinds: Vec<String>,
    /// Categorical columns, one-hot encoded.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// The number of segments (default: chosen by silhouette over --k-range).
    #[arg(long)]
    pub k: Option<usize>,
    /// The range of k tried when --k is not given, `MIN..MAX`.
    #[arg(long, value_name = "MIN..MAX", default_value = "2..8")]
    pub k_range: String,
    /// Engine parameter override, repeatable (`--param n_init=10`).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = crate::cli::parse_param)]
    pub params: Vec<(String, String)>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

/// What `rapport eval segments` prints.
#[derive(Debug, Serialize)]
pub struct SegmenterReport {
    /// Customers segmented.
    pub rows: usize,
    /// Rows of the file that could not be read.
    pub skipped_rows: usize,
    /// The features, after one-hot encoding.
    pub features: Vec<String>,
    /// The chosen k.
    pub k: usize,
    /// Per k tried: inertia, silhouette, sizes (descending), iterations, fit seconds.
    pub per_k: Vec<KReport>,
}

/// Reads the table, fits every k and writes the report to `out`.
pub fn run(args: &SegmenterEvalArgs, out: &mut dyn Write) -> Result<SegmenterReport, EvalError> {
    let (k_min, k_max) = args
        .k_range
        .split_once("..")
        .and_then(|(a, b)| {
            Some((
                a.trim().parse::<usize>().ok()?,
                b.trim().parse::<usize>().ok()?,
            ))
        })
        .ok_or_else(|| {
            EvalError::Engine(rapport_core::EngineError::invalid_param(
                "k-range",
                "give it as MIN..MAX, e.g. 2..8",
            ))
        })?;
    let features = if args.rfm {
        "rfm".to_owned()
    } else {
        args.features.join(",")
    };
    let mut params = Params::new()
        .with("features", features)
        .with("kinds", args.kinds.join(","))
        .with("categorical", args.categorical.join(","))
        .with("k", args.k.unwrap_or(0))
        .with("k_min", k_min)
        .with("k_max", k_max);
    for (name, value) in &args.params {
        params = params.with(name, value);
    }
    let refused = |e: rapport_segments::SegmentError| EvalError::Segments(e.to_string());
    let (fit, skipped) = match (&args.interactions, &args.customers) {
        (Some(path), _) => {
            let table = read_table_file(path, &args.csv.options())?;
            let map = RfmMap::parse(&args.map)?;
            let (records, skipped) = records(&table, &map, &args.kinds, args.csv.strict)?;
            if records.is_empty() {
                return Err(EvalError::NoData(path.display().to_string()));
            }
            let fit = Segments
                .fit_rfm(&records, None, &params, &[])
                .map_err(refused)?;
            (fit.fit, skipped.len())
        }
        (None, Some(path)) => {
            let table = read_table_file(path, &args.csv.options())?;
            let frame = super::scorer::frame_of(&table)?;
            let fit = Segments
                .fit_columns(&frame, &params, &[])
                .map_err(refused)?;
            (fit, table.skipped.len())
        }
        (None, None) => {
            return Err(EvalError::NoData(
                "no file: give --customers or --interactions".into(),
            ));
        }
    };
    let model = fit.model;
    let report = SegmenterReport {
        skipped_rows: skipped,
        rows: model.rows,
        features: model.feature_names.clone(),
        k: model.k,
        per_k: model.per_k,
    };
    let written = if args.json {
        super::report::write_json(&report, out)
    } else {
        write_text(&report, out)
    };
    written.map_err(EvalError::report)?;
    Ok(report)
}

fn write_text(report: &SegmenterReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "segments: {} customers ({} rows skipped), features {}, chosen k = {}",
        report.rows,
        report.skipped_rows,
        report.features.join(", "),
        report.k
    )?;
    writeln!(
        out,
        "{:>3} {:>14} {:>10} {:>6} {:>8}  sizes",
        "k", "inertia", "silhouette", "iter", "fit s"
    )?;
    for r in &report.per_k {
        let silhouette = r.silhouette.map_or("-".to_owned(), |s| format!("{s:.4}"));
        writeln!(
            out,
            "{:>3} {:>14.4} {:>10} {:>6} {:>8.3}  {:?}",
            r.k, r.inertia, silhouette, r.iterations, r.fit_seconds, r.sizes
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SegmenterEvalArgs,
    }

    fn eval(argv: &[&str]) -> Result<SegmenterReport, String> {
        let mut full = vec!["eval"];
        full.extend(argv);
        let args = Cli::try_parse_from(full).map_err(|e| e.to_string())?.args;
        run(&args, &mut Vec::new()).map_err(|e| e.to_string())
    }

    #[test]
    fn rfm_from_an_interaction_log_separates_loyal_from_lapsed_customers() {
        // Ten loyal customers buying every week up to the end, ten who bought
        // once a year before; returns and views are not counted.
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "who,at,amount,order,kind").unwrap();
        let end = 1_700_000_000_i64;
        for c in 0..10 {
            for week in 0..20 {
                let at = end - week * 7 * 86_400 - c * 3_600;
                writeln!(f, "loyal{c},{at},{},o{c}-{week},purchase", 50 + c).unwrap();
            }
            writeln!(f, "loyal{c},{end},999,,view").unwrap();
            let at = end - 365 * 86_400 - c * 86_400;
            writeln!(f, "lapsed{c},{at},{},,purchase", 20 + c).unwrap();
            writeln!(f, "lapsed{c},{end},-500,,return").unwrap();
        }
        let path = f.path().to_str().unwrap();
        let map = "customer=who,occurred_at=at:unix,value=amount,basket=order,kind=kind";
        let report = eval(&["--interactions", path, "--map", map, "--rfm", "--k", "2"]).unwrap();
        assert_eq!(report.rows, 20);
        assert_eq!(report.features, ["recency_days", "frequency", "monetary"]);
        assert_eq!(report.per_k.len(), 1);
        assert_eq!(report.per_k[0].sizes, [10, 10]);
        assert!(report.per_k[0].silhouette.unwrap() > 0.8);
    }

    #[test]
    fn the_two_sources_exclude_each_other() {
        assert!(eval(&["--rfm"]).is_err(), "--rfm needs --interactions");
        let both = ["--customers", "c.csv", "--interactions", "i.csv", "--rfm"];
        assert!(eval(&both).is_err());
        let err = eval(&["--customers", "c.csv"]).unwrap_err();
        assert!(err.contains("--features"), "{err}");
    }
}
