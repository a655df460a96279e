//! Time and memory of mining on synthetic baskets: by default 1,000,000
//! interactions spread uniformly over 100,000 baskets, items drawn with
//! power-law popularity (density proportional to rank^-EXPONENT) from a
//! catalogue of 100,000, seeded so runs repeat. Prints the mining time and
//! the peak resident memory (VmHWM, the whole process, generation included).
//!
//! `cargo run -j1 --release -p rapport-baskets --example synthetic_baskets -- \
//!   [BASKETS INTERACTIONS ITEMS MIN_SUPPORT MIN_CONFIDENCE EXPONENT]`

use std::process::ExitCode;
use std::time::Instant;

use rapport_baskets::{Fraction, MiningConfig, RuleConfig, mine};

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An item with density proportional to rank^-s (inverse of the CDF).
fn power_law_item(rng: &mut Lcg, n_items: usize, s: f64) -> u32 {
    let top = (n_items as f64).powf(1.0 - s) - 1.0;
    let x = (1.0 + rng.uniform() * top).powf(1.0 / (1.0 - s));
    (x as usize).clamp(1, n_items) as u32 - 1
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let parsed = (
        arg(0, "100000").parse::<usize>(),
        arg(1, "1000000").parse::<usize>(),
        arg(2, "100000").parse::<usize>(),
        arg(3, "0.005").parse::<Fraction>(),
        arg(4, "0.1").parse::<Fraction>(),
        arg(5, "0.9").parse::<f64>(),
    );
    let (
        Ok(n_baskets),
        Ok(n_interactions),
        Ok(n_items),
        Ok(min_support),
        Ok(min_confidence),
        Ok(s),
    ) = parsed
    else {
        eprintln!(
            "usage: synthetic_baskets [BASKETS INTERACTIONS ITEMS MIN_SUPPORT MIN_CONFIDENCE EXPONENT]"
        );
        return ExitCode::FAILURE;
    };
    if n_baskets == 0 || n_items == 0 || s == 1.0 {
        eprintln!("BASKETS and ITEMS must be positive and EXPONENT must not be 1");
        return ExitCode::FAILURE;
    }
    let mut rng = Lcg(42);
    let mut baskets: Vec<Vec<u32>> = vec![Vec::new(); n_baskets];
    for _ in 0..n_interactions {
        let b = ((rng.uniform() * n_baskets as f64) as usize).min(n_baskets - 1);
        let item = power_law_item(&mut rng, n_items, s);
        if let Some(basket) = baskets.get_mut(b) {
            basket.push(item);
        }
    }
    let distinct: usize = baskets
        .iter_mut()
        .map(|b| {
            b.sort_unstable();
            b.dedup();
            b.len()
        })
        .sum();
    println!(
        "{n_interactions} interactions ({distinct} distinct basket-item pairs) in {n_baskets} \
         baskets over {n_items} items (power law, exponent {s}); min support {} = {:.4}, \
         min confidence {:.4}, max_len 4",
        min_support,
        min_support.to_f64(),
        min_confidence.to_f64()
    );
    let started = Instant::now();
    let mined = mine(
        &baskets,
        &MiningConfig {
            min_support,
            max_len: 4,
            max_itemsets: 1_000_000,
        },
        &RuleConfig {
            min_confidence,
            max_rules: 10_000_000,
        },
    );
    let elapsed = started.elapsed();
    match mined {
        Ok(m) => {
            let sizes = m.itemsets.count_by_size();
            println!(
                "itemsets by size {:?} (all {}), count threshold {}, rules {}",
                sizes,
                sizes.iter().sum::<usize>(),
                m.itemsets.min_count,
                m.rules.len()
            );
            if let Some(r) = m.rules.first() {
                println!(
                    "top rule {{{}}} -> {{{}}}: confidence {:.4}, lift {:.4}",
                    r.antecedent_text(),
                    r.consequent_text(),
                    r.confidence(),
                    r.lift()
                );
            }
        }
        Err(e) => println!("mining stopped: {e}"),
    }
    println!(
        "mining (itemsets and rules) {:.3} s; peak RSS {:.1} MiB",
        elapsed.as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    ExitCode::SUCCESS
}
