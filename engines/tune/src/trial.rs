//! Trials: which engine and parameters each one fits (planned up front from
//! the seed, so results never depend on the order trials finish in), how one
//! is fitted and scored on validation, and several run side by side.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use rapport_core::eval::{Metrics, Split, evaluate_split};
use rapport_core::{Dataset, DynRecommender, EngineError, Params};
use serde::Serialize;

use crate::options::TuneOptions;
use crate::space::Sampler;

/// One fit of one engine with one set of parameters, scored on validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trial {
    /// Its number, from 1, in the order trials were planned.
    pub trial: usize,
    /// The engine fitted.
    pub engine: String,
    /// The parameters set (name to value text); the others took defaults.
    pub params: BTreeMap<String, String>,
    /// Its metrics on the validation part, when the fit succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<Metrics>,
    /// Why the engine refused the parameters or the data, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Seconds spent fitting.
    pub fit_secs: f64,
}

/// A trial to run: the engine and the parameters to fit it with.
#[derive(Clone)]
pub(crate) struct Planned<'e> {
    pub(crate) engine: &'e dyn DynRecommender,
    pub(crate) params: Params,
}

/// `trials` trials shared round-robin across `engines`: the first of each
/// engine takes its defaults, the others draw every searched parameter.
pub(crate) fn plan<'e>(
    engines: &[&'e dyn DynRecommender],
    trials: usize,
    seed: u64,
) -> Vec<Planned<'e>> {
    let mut sampler = Sampler::new(seed);
    let specs: Vec<_> = engines.iter().map(|e| e.describe().params).collect();
    (0..trials)
        .filter_map(|i| {
            let at = i.checked_rem(engines.len())?;
            let params = if i < engines.len() {
                Params::new()
            } else {
                sampler.params(&specs[at])
            };
            Some(Planned {
                engine: engines[at],
                params,
            })
        })
        .collect()
}

/// The parameters set, name to value text.
pub(crate) fn param_text(params: &Params) -> BTreeMap<String, String> {
    params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Fits `planned` on `parts.train` and scores it on `parts.test`. The
/// caller's errors (a refused combination, a memory bound above
/// `options.max_fit_bytes`) are recorded in the trial; only a broken engine
/// is an error.
pub(crate) fn run(
    number: usize,
    planned: &Planned<'_>,
    data: &Dataset,
    parts: &Split,
    options: &TuneOptions,
) -> Result<Trial, EngineError> {
    let mut trial = Trial {
        trial: number,
        engine: planned.engine.name().to_owned(),
        params: param_text(&planned.params),
        validation: None,
        error: None,
        fit_secs: 0.0,
    };
    let outcome = within_memory(planned, options).and_then(|()| {
        evaluate_split(
            planned.engine,
            data,
            parts,
            &planned.params,
            options.k,
            false,
        )
    });
    match outcome {
        Ok(report) => {
            trial.validation = Some(report.metrics);
            trial.fit_secs = report.fit_secs;
        }
        Err(e) if e.is_caller_error() => trial.error = Some(e.to_string()),
        Err(e) => return Err(e),
    }
    Ok(trial)
}

/// Refuses parameters whose memory bound exceeds `options.max_fit_bytes`.
fn within_memory(planned: &Planned<'_>, options: &TuneOptions) -> Result<(), EngineError> {
    let Some(limit) = options.max_fit_bytes else {
        return Ok(());
    };
    match planned.engine.fit_memory(&planned.params)? {
        Some(bytes) if bytes > limit => Err(EngineError::InvalidData(format!(
            "these parameters allow a fit of {bytes} bytes, above the tuning limit of {limit}"
        ))),
        _ => Ok(()),
    }
}

/// `job(0..n)` on `workers` threads, results in index order; `done` is
/// called after each job with the number finished so far.
pub(crate) fn in_parallel<T: Send>(
    n: usize,
    workers: usize,
    job: impl Fn(usize) -> T + Sync,
    done: impl Fn(usize) + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let work = || {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return out;
            }
            out.push((i, job(i)));
            done(finished.fetch_add(1, Ordering::Relaxed) + 1);
        }
    };
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for handle in handles {
            match handle.join() {
                Ok(part) => all.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, t)| t).collect()
}

/// The first trial with the best `metric` on validation (ties go to the
/// earlier trial), with its metrics; `None` when every trial failed.
pub(crate) fn best(
    trials: &[Trial],
    metric: impl Fn(&Metrics) -> f64,
) -> Option<(&Trial, Metrics)> {
    trials
        .iter()
        .filter_map(|t| t.validation.map(|m| (t, m)))
        .fold(None, |best: Option<(&Trial, Metrics)>, (t, m)| match best {
            Some((_, b)) if metric(&b) >= metric(&m) => best,
            _ => Some((t, m)),
        })
}

#[cfg(test)]
mod tests {
    use rapport_core::testing::ByIndex;

    use super::*;

    fn trial(number: usize, ndcg: Option<f64>) -> Trial {
        Trial {
            trial: number,
            engine: "e".into(),
            params: BTreeMap::new(),
            validation: ndcg.map(|ndcg| Metrics {
                k: 10,
                customers: 1,
                precision: 0.0,
                recall: 0.0,
                ndcg,
                map: 0.0,
                coverage: 0.0,
            }),
            error: ndcg.is_none().then(|| "refused".into()),
            fit_secs: 0.0,
        }
    }

    #[test]
    fn the_best_validation_trial_wins_and_ties_go_to_the_earlier() {
        let trials = [
            trial(1, Some(0.2)),
            trial(2, None),
            trial(3, Some(0.3)),
            trial(4, Some(0.3)),
            trial(5, Some(0.1)),
        ];
        assert_eq!(best(&trials, |m| m.ndcg).map(|(t, _)| t.trial), Some(3));
        assert!(best(&trials[1..2], |m| m.ndcg).is_none());
    }

    #[test]
    fn plans_start_with_each_engines_defaults_round_robin() {
        let (a, b) = (ByIndex("a"), ByIndex("b"));
        let engines: [&dyn DynRecommender; 2] = [&a, &b];
        let planned = plan(&engines, 5, 42);
        let names: Vec<_> = planned.iter().map(|p| p.engine.name()).collect();
        assert_eq!(names, ["a", "b", "a", "b", "a"]);
        assert!(planned.iter().all(|p| p.params == Params::new()));
        assert!(plan(&[], 5, 42).is_empty());
    }

    #[test]
    fn parallel_results_come_back_in_order() {
        let seen = AtomicUsize::new(0);
        let out = in_parallel(
            50,
            3,
            |i| i * i,
            |_| {
                seen.fetch_add(1, Ordering::Relaxed);
            },
        );
        assert_eq!(out, (0..50).map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(seen.load(Ordering::Relaxed), 50);
    }
}
