//! Frequent itemsets and rules on MovieLens 100K next to the reference
//! counts of BENCHMARKS.md (basket = the movies each user rated; items are
//! the movie ids of the file). Exits non-zero when a count differs.
//!
//! `cargo run -j1 --release -p rapport-baskets --example movielens -- [PATH/u.data]`

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use rapport_baskets::{MiningConfig, RuleConfig, mine};
use rapport_core::testing::MOVIELENS_DEFAULT;

/// One reference row: support, itemsets by size, rules at 0.8, top rule.
struct Reference {
    support: &'static str,
    by_size: &'static [usize],
    rules: usize,
    top: &'static str,
}

const REFERENCE: [Reference; 2] = [
    Reference {
        support: "0.30",
        by_size: &[47, 62, 16, 1],
        rules: 75,
        top: "{174,181} -> {50,172}",
    },
    Reference {
        support: "0.25",
        by_size: &[81, 208, 126, 29, 3],
        rules: 535,
        top: "{50,174,210} -> {172,181}",
    },
];

fn read(path: &str) -> Result<Vec<Vec<u32>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut by_user: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let mut fields = line.split('\t');
        let mut next = || -> Result<u32, String> {
            fields
                .next()
                .and_then(|f| f.trim().parse().ok())
                .ok_or_else(|| format!("{path}:{}: expected user, item, rating, time", n + 1))
        };
        let (user, item) = (next()?, next()?);
        by_user.entry(user).or_default().push(item);
    }
    Ok(by_user.into_values().collect())
}

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| MOVIELENS_DEFAULT.into());
    let baskets = match read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut items: Vec<u32> = baskets.iter().flatten().copied().collect();
    let interactions = items.len();
    items.sort_unstable();
    items.dedup();
    println!(
        "MovieLens 100K: {} baskets, {} items, {} ratings, mean basket {:.2}",
        baskets.len(),
        items.len(),
        interactions,
        interactions as f64 / baskets.len().max(1) as f64
    );
    let mut identical = true;
    for reference in &REFERENCE {
        let (Ok(min_support), Ok(min_confidence)) = (reference.support.parse(), "0.8".parse())
        else {
            return ExitCode::FAILURE;
        };
        let started = Instant::now();
        let mined = match mine(
            &baskets,
            &MiningConfig {
                min_support,
                max_len: 10,
                max_itemsets: 10_000_000,
            },
            &RuleConfig {
                min_confidence,
                max_rules: 10_000_000,
            },
        ) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("min support {}: {e}", reference.support);
                return ExitCode::FAILURE;
            }
        };
        let elapsed = started.elapsed();
        let sizes = mined.itemsets.count_by_size();
        let total: usize = sizes.iter().sum();
        let ref_total: usize = reference.by_size.iter().sum();
        let join = |v: &[usize]| {
            v.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let top = mined.rules.first();
        let top_text = top
            .map(|r| format!("{{{}}} -> {{{}}}", r.antecedent_text(), r.consequent_text()))
            .unwrap_or_default();
        let same = sizes == reference.by_size
            && mined.rules.len() == reference.rules
            && top_text == reference.top;
        identical &= same;
        println!(
            "\nmin support {} (count {}), confidence >= 0.8, mined in {:.1} ms: {}",
            reference.support,
            mined.itemsets.min_count,
            elapsed.as_secs_f64() * 1e3,
            if same { "IDENTICAL" } else { "DIFFERENT" }
        );
        println!(
            "  itemsets by size  {:<28} reference {}",
            join(&sizes),
            join(reference.by_size)
        );
        println!("  itemsets, all     {total:<28} reference {ref_total}");
        println!(
            "  rules             {:<28} reference {}",
            mined.rules.len(),
            reference.rules
        );
        println!(
            "  top rule          {top_text:<28} reference {}",
            reference.top
        );
        if let Some(r) = top {
            println!(
                "    n(A) {}, n(C) {}, n(S) {}, support {:.4}, confidence {:.4}, lift {:.4}, conviction {}",
                r.n_antecedent,
                r.n_consequent,
                r.n_both,
                r.support(),
                r.confidence(),
                r.lift(),
                r.conviction().map_or("inf".into(), |c| format!("{c:.4}"))
            );
        }
        if let Some(r) = mined
            .rules
            .iter()
            .find(|r| r.antecedent == [423] && r.consequent == [204])
        {
            println!(
                "  423 -> 204 kept: n(S) {} / n(A) {} (confidence exactly 0.8 at 0.25)",
                r.n_both, r.n_antecedent
            );
        }
    }
    if identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
