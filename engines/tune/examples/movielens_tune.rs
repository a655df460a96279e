//! The `auto` search of DESIGN.md §5 (Tuning) on MovieLens 100K, engines
//! only (no item metadata, so `content` sits out): every trial with its
//! validation NDCG@10, then the winner's validation and test metrics and the
//! wall time, to study the search without building the service.
//!
//! `cargo run --release -p rapport-tune --example movielens_tune -- [PATH/u.data [TRIALS [SEED]]]`

use std::process::ExitCode;

use rapport_core::DynRecommender;
use rapport_core::testing::{arg_or, movielens_at_arg};
use rapport_engines::{Engine, registry};
use rapport_tune::{TuneOptions, candidates, tune};

fn main() -> ExitCode {
    let options = TuneOptions {
        trials: arg_or(2, 30),
        seed: arg_or(3, 42),
        ..TuneOptions::default()
    };
    let data = match movielens_at_arg(1) {
        Ok(data) => data,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let recommenders: Vec<&dyn DynRecommender> = registry()
        .engines()
        .filter_map(|e| match e {
            Engine::Recommender(r) => Some(r),
            _ => None,
        })
        .collect();
    let engines = candidates(&recommenders, &data);
    let report = match tune(&engines, &data, &options, None, &|_, _| {}) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for t in &report.trials {
        let score = t
            .validation
            .map_or_else(|| "failed".to_owned(), |m| format!("{:.4}", m.ndcg));
        println!(
            "{:>3} {:<12} {score} {:6.2}s {:?}",
            t.trial, t.engine, t.fit_secs, t.params
        );
    }
    println!(
        "winner {} {:?}: validation NDCG@10 {:.4}, test P@10 {:.4} NDCG@10 {:.4}, wall {:.1} s",
        report.winner.engine,
        report.winner.params,
        report.validation.ndcg,
        report.test.metrics.precision,
        report.test.metrics.ndcg,
        report.wall_secs
    );
    ExitCode::SUCCESS
}
