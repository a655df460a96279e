//! How well the validation part of DESIGN.md §5 (Tuning) predicts test on
//! MovieLens 100K: for a few engines and parameters (each engine's defaults
//! and the best draws of a 30-trial search), NDCG@10 on the validation split
//! of the validation split's inner part (`inner`), on the validation split
//! (`validation`, what trials are ranked by) and on test (a fit on the whole
//! training part). An engine whose figures climb from left to right gains
//! from data a search cannot show it.
//!
//! `cargo run --release -p rapport-tune --example validation_study -- [PATH/u.data]`

use std::process::ExitCode;

use rapport_core::eval::{Split, evaluate_split, split};
use rapport_core::testing::movielens_at_arg;
use rapport_core::{Dataset, Params};
use rapport_engines::registry;

/// Engines and parameters compared.
const CASES: &[(&str, &[(&str, &str)])] = &[
    ("popularity", &[]),
    ("item_item", &[]),
    (
        "item_item",
        &[
            ("mode", "pull"),
            ("neighbours", "795"),
            ("shrinkage", "1.92"),
        ],
    ),
    ("user_user", &[]),
    ("user_user", &[("neighbours", "81"), ("shrinkage", "39.3")]),
    ("ease", &[]),
    ("ease", &[("lambda", "150")]),
    ("ease", &[("lambda", "300")]),
    ("als", &[]),
    (
        "als",
        &[
            ("alpha", "0.717"),
            ("factors", "31"),
            ("regularisation", "0.629"),
        ],
    ),
    ("rp3beta", &[]),
    (
        "rp3beta",
        &[("alpha", "0.25"), ("beta", "0.262"), ("neighbours", "534")],
    ),
];

fn ndcg(name: &str, params: &Params, data: &Dataset, parts: &Split) -> Result<f64, String> {
    let engine = registry()
        .recommender(name)
        .ok_or_else(|| format!("no engine {name}"))?;
    evaluate_split(engine, data, parts, params, 10, false)
        .map(|r| r.metrics.ndcg)
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let run = || -> Result<(), String> {
        let data = movielens_at_arg(1)?;
        let test = split(&data.interactions);
        let validation = split(&test.train);
        let inner = split(&validation.train);
        println!(
            "{:<11} {:>7} {:>10} {:>7}  params",
            "engine", "inner", "validation", "test"
        );
        for (name, pairs) in CASES {
            let params = pairs.iter().fold(Params::new(), |p, (k, v)| p.with(k, v));
            let [a, b, c] = [&inner, &validation, &test].map(|s| ndcg(name, &params, &data, s));
            println!("{name:<11} {:>7.4} {:>10.4} {:>7.4}  {pairs:?}", a?, b?, c?);
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
