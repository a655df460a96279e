//! `rapport eval baskets --interactions FILE --map basket=COL,item=COL
//! --min-support S --min-confidence C [--max-len L]`: frequent itemsets and
//! association rules mined from a file (DESIGN.md §5, baskets), printing the
//! number of baskets and items, itemsets by size, the rule count and the top
//! rules; with `--as-recommender`, the recommender protocol instead.

use std::io::Write;

use clap::Args;
use rapport_baskets::{Baskets, Rule, rank_rules_by};
use rapport_core::{IdMap, Recommender};
use serde::Serialize;

use super::recommender::{RecommenderEvalArgs, read_data};
use super::{EvalError, params};

/// Arguments of `rapport eval baskets`.
#[derive(Debug, Clone, Args)]
pub struct BasketsEvalArgs {
    #[command(flatten)]
    pub data: RecommenderEvalArgs,
    /// Itemsets in at least ceil(S * baskets) baskets are frequent (exact decimal).
    #[arg(long, value_name = "S")]
    pub min_support: Option<String>,
    /// Rules with n(A and C) / n(A) at least C are kept (exact decimal).
    #[arg(long, value_name = "C")]
    pub min_confidence: Option<String>,
    /// The longest itemset mined.
    #[arg(long, value_name = "L")]
    pub max_len: Option<u32>,
    /// How many of the ranked rules to print.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Run the recommender protocol (complete each customer's latest basket)
    /// instead of printing the mined rules.
    #[arg(long)]
    pub as_recommender: bool,
}

/// One rule as printed, items named by their ids in the file.
#[derive(Debug, Serialize)]
pub struct RuleLine {
    /// Antecedent item ids, ascending.
    pub antecedent: Vec<String>,
    /// Consequent item ids, ascending.
    pub consequent: Vec<String>,
    /// n(A).
    pub n_antecedent: u32,
    /// n(C).
    pub n_consequent: u32,
    /// n(A and C).
    pub n_both: u32,
    /// n(A and C) / N.
    pub support: f64,
    /// n(A and C) / n(A).
    pub confidence: f64,
    /// n(A and C) * N / (n(A) * n(C)).
    pub lift: f64,
    /// Conviction; `null` when infinite (confidence 1).
    pub conviction: Option<f64>,
}

/// What `rapport eval baskets` prints.
#[derive(Debug, Serialize)]
pub struct BasketsReport {
    /// N: baskets mined.
    pub baskets: u32,
    /// Distinct items in them.
    pub items: usize,
    /// The support count threshold ceil(min_support * N).
    pub min_count: u32,
    /// Frequent itemsets by length, from length 1.
    pub itemsets_by_size: Vec<usize>,
    /// Every frequent itemset.
    pub itemsets: usize,
    /// Rules kept.
    pub rules: usize,
    /// The best rules, ranked by lift, confidence, then the items' ids.
    pub top_rules: Vec<RuleLine>,
    /// Fit seconds.
    pub fit_seconds: f64,
    /// The parameters of the run.
    pub params: Vec<(String, String)>,
}

/// Mines the file and writes the report, or runs the recommender protocol.
pub fn run(args: &BasketsEvalArgs, out: &mut dyn Write) -> Result<(), EvalError> {
    let mut data = args.data.clone();
    let flags = [
        ("min_support", args.min_support.clone()),
        ("min_confidence", args.min_confidence.clone()),
        ("max_len", args.max_len.map(|l| l.to_string())),
    ];
    for (name, value) in flags {
        if let Some(value) = value {
            data.params.push((name.to_owned(), value));
        }
    }
    if args.as_recommender {
        return super::recommender::run(&Baskets, &data, out);
    }
    let params = params(&data.params, &Recommender::describe(&Baskets).params)?;
    let loaded = read_data(&data)?;
    let started = std::time::Instant::now();
    let model = Recommender::fit(&Baskets, &loaded.data, &params)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let stats = &model.stats;
    let in_baskets: std::collections::BTreeSet<u32> =
        loaded.data.interactions.iter().map(|x| x.item).collect();
    let ids = |items: &[u32]| -> Vec<String> { external(&loaded.items, items) };
    let ranked = rank_rules_by(model.index.rules().to_vec(), |items| ids(items).join(","));
    let report = BasketsReport {
        baskets: stats.n_baskets,
        items: in_baskets.len(),
        min_count: stats.min_count,
        itemsets: stats.itemsets_by_size.iter().sum(),
        itemsets_by_size: stats.itemsets_by_size.clone(),
        rules: stats.n_rules,
        top_rules: ranked
            .iter()
            .take(args.top)
            .map(|r| rule_line(r, &ids))
            .collect(),
        fit_seconds,
        params: params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    let written = if data.json {
        super::report::write_json(&report, out)
    } else {
        write_text(&report, out)
    };
    written.map_err(EvalError::report)
}

/// Items by their ids in the file, sorted as text.
fn external(map: &IdMap, items: &[u32]) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .map(|&i| map.id(i).unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids
}

fn rule_line(rule: &Rule, ids: &impl Fn(&[u32]) -> Vec<String>) -> RuleLine {
    RuleLine {
        antecedent: ids(&rule.antecedent),
        consequent: ids(&rule.consequent),
        n_antecedent: rule.n_antecedent,
        n_consequent: rule.n_consequent,
        n_both: rule.n_both,
        support: rule.support(),
        confidence: rule.confidence(),
        lift: rule.lift(),
        conviction: rule.conviction(),
    }
}

fn write_text(report: &BasketsReport, out: &mut dyn Write) -> std::io::Result<()> {
    let sizes: Vec<String> = report
        .itemsets_by_size
        .iter()
        .map(usize::to_string)
        .collect();
    writeln!(
        out,
        "baskets {}  items {}  min count {}  itemsets by size {} (all {})  rules {}  fit {:.3} s",
        report.baskets,
        report.items,
        report.min_count,
        sizes.join(" / "),
        report.itemsets,
        report.rules,
        report.fit_seconds
    )?;
    writeln!(
        out,
        "{:<28} {:<20} {:>6} {:>6} {:>6} {:>8} {:>10} {:>8}",
        "antecedent", "consequent", "n(A)", "n(C)", "n(S)", "support", "confidence", "lift"
    )?;
    for r in &report.top_rules {
        writeln!(
            out,
            "{:<28} {:<20} {:>6} {:>6} {:>6} {:>8.4} {:>10.4} {:>8.4}",
            format!("{{{}}}", r.antecedent.join(", ")),
            format!("{{{}}}", r.consequent.join(", ")),
            r.n_antecedent,
            r.n_consequent,
            r.n_both,
            r.support,
            r.confidence,
            r.lift
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
        args: BasketsEvalArgs,
    }

    /// Five orders: {a,b,c}, {a,b}, {a,c}, {b,c}, {a,b,c}.
    fn orders() -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let rows = "order,sku\no1,a\no1,b\no1,c\no2,a\no2,b\no3,a\no3,c\no4,b\no4,c\n\
                    o5,c\no5,b\no5,a\n";
        f.write_all(rows.as_bytes()).unwrap();
        f
    }

    fn run_on(f: &tempfile::NamedTempFile, extra: &[&str]) -> serde_json::Value {
        let mut argv = vec![
            "eval",
            "--interactions",
            f.path().to_str().unwrap(),
            "--map",
            "basket=order,item=sku",
            "--json",
        ];
        argv.extend(extra);
        let args = Cli::try_parse_from(argv).unwrap().args;
        let mut out = Vec::new();
        run(&args, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn counts_itemsets_and_rules_of_a_hand_made_table() {
        let f = orders();
        // min count ceil(0.4 * 5) = 2: every single, pair and the triple is frequent.
        let report = run_on(&f, &["--min-support", "0.4", "--min-confidence", "0.6"]);
        assert_eq!(report["baskets"], 5);
        assert_eq!(report["items"], 3);
        assert_eq!(report["min_count"], 2);
        assert_eq!(report["itemsets_by_size"], serde_json::json!([3, 3, 1]));
        assert_eq!(report["itemsets"], 7);
        // Six pair rules at 3/4 and three `xy -> z` at 2/3; `x -> yz` at 2/4 fail.
        assert_eq!(report["rules"], 9);
        let top = &report["top_rules"][0];
        assert_eq!(top["antecedent"], serde_json::json!(["a"]));
        assert_eq!(top["consequent"], serde_json::json!(["b"]));
        assert_eq!(top["n_antecedent"], 4);
        assert_eq!(top["n_consequent"], 4);
        assert_eq!(top["n_both"], 3);
        assert_eq!(top["lift"], 0.9375);
        assert_eq!(top["confidence"], 0.75);
    }

    #[test]
    fn the_confidence_threshold_is_exact_and_the_length_capped() {
        let f = orders();
        // 3/4 is kept at exactly 0.75; the triple's rules (2/3) are not.
        let report = run_on(&f, &["--min-support", "0.4", "--min-confidence", "0.75"]);
        assert_eq!(report["rules"], 6);
        let report = run_on(
            &f,
            &["--min-support", "0.4", "--max-len", "2", "--top", "2"],
        );
        assert_eq!(report["itemsets_by_size"], serde_json::json!([3, 3]));
        assert_eq!(report["top_rules"].as_array().unwrap().len(), 2);
    }
}
