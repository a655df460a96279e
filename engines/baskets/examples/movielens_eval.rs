//! The `baskets` recommender under the DESIGN.md §5 offline protocol on
//! MovieLens 100K (the same `rapport_core::eval::evaluate` as every other
//! recommender), for a few parameter settings.
//!
//! `cargo run -j1 --release -p rapport-baskets --example movielens_eval -- [PATH/u.data]`

use std::process::ExitCode;

use rapport_baskets::Baskets;
use rapport_core::Params;
use rapport_core::eval::evaluate;
use rapport_core::testing::movielens_at_arg;

fn main() -> ExitCode {
    let data = match movielens_at_arg(1) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let settings: [&[(&str, &str)]; 4] = [
        &[
            ("basket", "day"),
            ("min_support", "0.1"),
            ("min_confidence", "0.1"),
            ("max_len", "3"),
        ],
        &[
            ("basket", "day"),
            ("min_support", "0.05"),
            ("min_confidence", "0.1"),
            ("max_len", "3"),
        ],
        &[
            ("basket", "customer"),
            ("min_support", "0.2"),
            ("min_confidence", "0.1"),
            ("max_len", "3"),
        ],
        &[
            ("basket", "customer"),
            ("min_support", "0.1"),
            ("min_confidence", "0.1"),
            ("max_len", "2"),
        ],
    ];
    println!(
        "| params | baskets (all data) | rules (all data) | P@10 | R@10 | NDCG@10 | MAP@10 | coverage | fit s | score s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for setting in settings {
        let mut params = Params::new();
        for (name, value) in setting {
            params.set(name, value);
        }
        let label: Vec<String> = setting.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let fitted = rapport_core::Recommender::fit(&Baskets, &data, &params);
        let stats = fitted.map(|m| (m.stats.n_baskets, m.stats.n_rules));
        match (evaluate(&Baskets, &data, &params, 10), stats) {
            (Ok(r), Ok((n_baskets, n_rules))) => {
                let m = r.metrics;
                println!(
                    "| {} | {n_baskets} | {n_rules} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.2} | {:.2} |",
                    label.join(" "),
                    m.precision,
                    m.recall,
                    m.ndcg,
                    m.map,
                    m.coverage,
                    r.fit_secs,
                    r.score_secs
                );
            }
            (Err(e), _) | (_, Err(e)) => println!("| {} | error: {e} |", label.join(" ")),
        }
    }
    ExitCode::SUCCESS
}
