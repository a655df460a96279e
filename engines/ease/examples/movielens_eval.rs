//! `ease` (lambda 500) under the DESIGN.md §5 offline protocol on MovieLens 100K (the same
//! `rapport_core::eval::evaluate` as `rapport eval`), to check that a change
//! of the fit leaves the metrics alone. With a second argument, also writes
//! every customer's top 10 of the model fitted on the training part (item
//! and score per line), for a diff between two builds.
//!
//! `cargo run --release -p rapport-ease --example movielens_eval -- [PATH/u.data [LISTS]]`

use std::fmt::Write as _;
use std::process::ExitCode;

use rapport_core::eval::{evaluate, split};
use rapport_core::testing::movielens_at_arg;
use rapport_core::{Dataset, Params, Recommender};
use rapport_ease::Ease;

/// Every customer's top 10 from a fit on the training part, one line each.
fn lists(data: &Dataset, params: &Params) -> Result<String, String> {
    let train = Dataset {
        interactions: split(&data.interactions).train,
        ..data.clone()
    };
    let model = Ease.fit(&train, params).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for customer in 0..data.n_customers as u32 {
        let list = Ease
            .recommend(&model, customer, 10, &[])
            .map_err(|e| e.to_string())?;
        let _ = write!(out, "{customer}:");
        for r in list {
            let _ = write!(out, " {} {:.6}", r.item, r.score);
        }
        out.push('\n');
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let data = match movielens_at_arg(1) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let params = Params::new().with("lambda", 500);
    match evaluate(&Ease, &data, &params, 10) {
        Ok(r) => {
            let m = r.metrics;
            println!(
                "ease lambda=500: P@10 {:.6} R@10 {:.6} NDCG@10 {:.6} MAP@10 {:.6} \
                 coverage {:.6} fit {:.3} s",
                m.precision, m.recall, m.ndcg, m.map, m.coverage, r.fit_secs
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Some(out) = args.get(2) {
        let written = lists(&data, &params)
            .and_then(|text| std::fs::write(out, text).map_err(|e| format!("{out}: {e}")));
        if let Err(e) = written {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
