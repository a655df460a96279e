//! Hyper-parameter tuning for Rapport's recommenders (DESIGN.md §5, Tuning),
//! pure: no HTTP, no database.
//!
//! A seeded random search over the ranges each engine publishes
//! ([`rapport_core::ParamSpec::search`]): every trial is fitted on the inner
//! training part of [`validation_of`] and scored on its validation part
//! only; the best trial is refitted on the whole training part and scored on
//! test once, exactly as [`rapport_core::eval::evaluate`] does. A baseline
//! can be scored on the same validation part and compared with [`beats`].
//!
//! ```no_run
//! # fn demo(engines: &[&dyn rapport_core::DynRecommender], data: &rapport_core::Dataset)
//! # -> Result<(), rapport_core::EngineError> {
//! use rapport_tune::{TuneOptions, candidates, tune};
//! let engines = candidates(engines, data);
//! let report = tune(&engines, data, &TuneOptions::default(), None, &|done, total| {
//!     eprintln!("{done}/{total}");
//! })?;
//! println!("{} {:?}", report.winner.engine, report.winner.params);
//! # Ok(()) }
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod options;
mod promote;
mod space;
#[cfg(test)]
mod tests;
mod trial;

use std::collections::BTreeMap;
use std::time::Instant;

use rapport_core::eval::{EvalReport, Metrics, evaluate};
use rapport_core::{DataNeed, Dataset, DynRecommender, EngineError, Params};
use serde::Serialize;

pub use options::{Metric, TuneOptions};
pub use promote::{Decision, beats, score_baseline, validation_of, validation_split};
pub use space::searchable;
pub use trial::Trial;

/// Engines that form baskets and are only tuned on data with basket ids.
pub const BASKET_ENGINES: &[&str] = &["baskets"];

/// The engine and parameters a search chose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Winner {
    /// Engine name.
    pub engine: String,
    /// The parameters set (name to value text); the others take defaults.
    pub params: BTreeMap<String, String>,
}

impl Winner {
    /// The parameters as [`Params`], to fit the winner with.
    pub fn to_params(&self) -> Params {
        self.params
            .iter()
            .fold(Params::new(), |p, (name, value)| p.with(name, value))
    }
}

/// A baseline scored on the search's validation part, and whether the winner
/// replaces it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    /// Engine name.
    pub engine: String,
    /// Its parameters (name to value text).
    pub params: BTreeMap<String, String>,
    /// Its validation metrics.
    pub validation: Metrics,
    /// [`beats`] of the winner against it, with the search's metric and margin.
    pub decision: Decision,
}

/// The outcome of a search.
#[derive(Debug, Clone, Serialize)]
pub struct TuneReport {
    /// The best trial on validation.
    pub winner: Winner,
    /// The winner's validation metrics.
    pub validation: Metrics,
    /// The winner refitted on the whole training part, scored on test.
    pub test: EvalReport,
    /// The baseline, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    /// Every trial, in planned order.
    pub trials: Vec<Trial>,
    /// Interactions the trials were fitted on (the inner training part).
    pub inner_train_rows: usize,
    /// Interactions the trials were scored on (the validation part).
    pub validation_rows: usize,
    /// Seconds for the whole search, final fit included.
    pub wall_secs: f64,
    /// The seed of the draws.
    pub seed: u64,
    /// The metric that ranked the trials.
    pub metric: Metric,
}

/// The engines of `engines` a search can tune on `data` (`auto`): those that
/// publish at least one search range and whose data needs `data` meets (item
/// metadata for content engines, basket ids for [`BASKET_ENGINES`]).
pub fn candidates<'e>(
    engines: &[&'e dyn DynRecommender],
    data: &Dataset,
) -> Vec<&'e dyn DynRecommender> {
    let has_baskets = data.interactions.iter().any(|x| x.basket.is_some());
    engines
        .iter()
        .copied()
        .filter(|engine| {
            let description = engine.describe();
            let needs_met = description.needs.iter().all(|need| match need {
                DataNeed::Interactions => true,
                DataNeed::ItemMetadata => !data.items.is_empty(),
                DataNeed::CustomerAttributes => false,
            });
            searchable(&description)
                && needs_met
                && (has_baskets || !BASKET_ENGINES.contains(&engine.name()))
        })
        .collect()
}

/// Searches `engines` on `data` as `options` say: [`TuneOptions::trials`]
/// trials planned from the seed (each engine's defaults first, then draws,
/// round-robin), fitted on the inner training part and scored on validation;
/// a trial the engine refuses is recorded with its error. The winner is
/// refitted on the whole training part and scored on test. With `baseline`,
/// it is scored on the same validation part and compared with the winner.
/// `progress(done, total)` is called after each fit (trials, baseline, final).
///
/// Errors: invalid data, no engine, no validation part (no customer with
/// enough training interactions), a baseline the engine refuses, every trial
/// refused, or a broken engine.
pub fn tune(
    engines: &[&dyn DynRecommender],
    data: &Dataset,
    options: &TuneOptions,
    baseline: Option<(&dyn DynRecommender, &Params)>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<TuneReport, EngineError> {
    let started = Instant::now();
    data.validate()?;
    if engines.is_empty() {
        return Err(EngineError::InvalidData(
            "no engine to tune (none publishes a search range for this data)".into(),
        ));
    }
    if let Some((engine, params)) = baseline {
        params.resolve(&engine.describe().params)?;
    }
    let parts = validation_of(data);
    if parts.test.is_empty() {
        return Err(EngineError::InvalidData(format!(
            "no validation part: no customer has {} or more training interactions",
            rapport_core::eval::MIN_INTERACTIONS_FOR_TEST
        )));
    }
    let planned = trial::plan(engines, options.trials, options.seed);
    let total = planned.len() + usize::from(baseline.is_some()) + 1;
    let trials = trial::in_parallel(
        planned.len(),
        options.workers(planned.len()),
        |i| trial::run(i + 1, &planned[i], data, &parts, options),
        |done| progress(done, total),
    )
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let metric = options.metric;
    let Some((best, validation)) = trial::best(&trials, |m| metric.of(m)) else {
        let first = trials
            .iter()
            .find_map(|t| t.error.clone())
            .unwrap_or_default();
        return Err(EngineError::InvalidData(format!(
            "every trial was refused; the first: {first}"
        )));
    };
    let winner = Winner {
        engine: best.engine.clone(),
        params: best.params.clone(),
    };
    let baseline = match baseline {
        Some((engine, params)) => {
            let scored = promote::validate_on(engine, params, data, &parts, options)?;
            progress(planned.len() + 1, total);
            Some(Baseline {
                engine: engine.name().to_owned(),
                params: trial::param_text(params),
                validation: scored,
                decision: beats(&validation, &scored, metric, options.margin),
            })
        }
        None => None,
    };
    let engine = engines
        .iter()
        .find(|e| e.name() == winner.engine)
        .ok_or_else(|| EngineError::Internal(format!("winner `{}` not searched", winner.engine)))?;
    let test = evaluate(*engine, data, &winner.to_params(), options.k)?;
    progress(total, total);
    Ok(TuneReport {
        winner,
        validation,
        test,
        baseline,
        trials,
        inner_train_rows: parts.train.len(),
        validation_rows: parts.test.len(),
        wall_secs: started.elapsed().as_secs_f64(),
        seed: options.seed,
        metric,
    })
}
