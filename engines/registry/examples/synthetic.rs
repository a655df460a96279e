//! Memory and time check of `item_item` on a synthetic catalogue far beyond
//! where a dense item x item matrix fits: by default 100,000 items, 50,000
//! customers and 1,000,000 interactions with power-law item popularity.
//! Prints the fit time and the peak resident memory (VmHWM).
//!
//! `cargo run --release -p rapport-engines --example synthetic -- [ITEMS CUSTOMERS INTERACTIONS]`

use std::process::ExitCode;
use std::time::Instant;

use rapport_core::Params;
use rapport_core::testing::{arg_or, peak_rss_kib, power_law_dataset};

fn main() -> ExitCode {
    let (n_items, n_customers, n_interactions) =
        (arg_or(1, 100_000), arg_or(2, 50_000), arg_or(3, 1_000_000));
    let data = power_law_dataset(n_items, n_customers, n_interactions, false);
    let Some(engine) = rapport_engines::registry().recommender("item_item") else {
        eprintln!("error: item_item is not registered");
        return ExitCode::FAILURE;
    };
    let started = Instant::now();
    let model = match engine.fit(&data, &Params::new()) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let fit_secs = started.elapsed().as_secs_f64();
    let bytes = engine.to_bytes(&model).map(|b| b.len()).unwrap_or(0);
    let started = Instant::now();
    let mut listed = 0;
    for customer in 0..1_000u32 {
        listed += engine
            .recommend(&model, customer, 10, &[])
            .map(|l| l.len())
            .unwrap_or(0);
    }
    let score_secs = started.elapsed().as_secs_f64();
    println!(
        "item_item synthetic: {n_items} items, {n_customers} customers, {n_interactions} interactions"
    );
    println!(
        "fit {fit_secs:.2} s, model {:.1} MiB serialised, 1,000 customers scored in {score_secs:.3} s ({listed} items listed)",
        bytes as f64 / (1 << 20) as f64
    );
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS {:.0} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS unknown (no /proc/self/status)"),
    }
    ExitCode::SUCCESS
}
