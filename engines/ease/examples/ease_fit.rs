//! Time and memory of an `ease` fit on a synthetic catalogue where every
//! item is active: by default 8,000 items, 8,000 customers and 40
//! interactions per item (each item once, the rest with power-law
//! popularity), seeded so runs repeat, at lambda 500 (a small LAMBDA, such
//! as 1, makes the condition bound pick the all-f64 inverse). Prints the fit
//! seconds and the peak resident memory (VmHWM).
//!
//! `cargo run --release -p rapport-ease --example ease_fit -- [ITEMS CUSTOMERS PER_ITEM [LAMBDA]]`

use std::process::ExitCode;
use std::time::Instant;

use rapport_core::testing::{arg_or, peak_rss_kib, power_law_dataset};
use rapport_core::{Params, Recommender};
use rapport_ease::Ease;

fn main() -> ExitCode {
    let (n_items, n_customers, per_item) = (arg_or(1, 8_000), arg_or(2, 8_000), arg_or(3, 40));
    let data = power_law_dataset(n_items, n_customers, n_items * per_item, true);
    let lambda = std::env::args().nth(4).unwrap_or_else(|| "500".into());
    let params = Params::new()
        .with("max_items", n_items.max(1))
        .with("lambda", &lambda);
    let started = Instant::now();
    let model = match Ease.fit(&data, &params) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let fit_secs = started.elapsed().as_secs_f64();
    let listed = Ease.recommend(&model, 0, 10, &[]).map_or(0, |l| l.len());
    println!(
        "ease synthetic: {n_items} items, {n_customers} customers, {} interactions, lambda {lambda}",
        n_items * per_item
    );
    println!("fit {fit_secs:.2} s ({listed} items listed for customer 0)");
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS {:.0} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS unknown (no /proc/self/status)"),
    }
    ExitCode::SUCCESS
}
