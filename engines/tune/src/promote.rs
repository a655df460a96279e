//! The validation split of DESIGN.md §5 (Tuning), a baseline scored on it,
//! and the rule that decides whether a tuned candidate replaces a baseline.

use rapport_core::eval::{Metrics, Split, evaluate_split, split};
use rapport_core::{Dataset, DynRecommender, EngineError, Interaction, Params};
use serde::Serialize;

use crate::options::{Metric, TuneOptions};

/// The recommender split applied again to a training part: per customer,
/// the last ceil(0.2 n) training interactions validate, the rest fit. The
/// two parts together are exactly `train`; no test row can be in either.
pub fn validation_split(train: &[Interaction]) -> Split {
    split(train)
}

/// The validation split of `data`: [`validation_split`] of the training part
/// of `data`'s §5 split.
pub fn validation_of(data: &Dataset) -> Split {
    validation_split(&split(&data.interactions).train)
}

/// A baseline's validation metrics: `engine` with `params` fitted on the
/// inner training part of `data` and scored on its validation part, as every
/// trial of [`crate::tune`] is.
pub fn score_baseline(
    engine: &dyn DynRecommender,
    params: &Params,
    data: &Dataset,
    options: &TuneOptions,
) -> Result<Metrics, EngineError> {
    data.validate()?;
    validate_on(engine, params, data, &validation_of(data), options)
}

/// `engine` with `params` fitted on `parts.train`, scored on `parts.test`.
pub(crate) fn validate_on(
    engine: &dyn DynRecommender,
    params: &Params,
    data: &Dataset,
    parts: &Split,
    options: &TuneOptions,
) -> Result<Metrics, EngineError> {
    Ok(evaluate_split(engine, data, parts, params, options.k, false)?.metrics)
}

/// Whether a candidate replaces a baseline, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Whether the candidate is promoted.
    pub promote: bool,
    /// The comparison, in words.
    pub reason: String,
    /// The candidate's validation metric.
    pub candidate: f64,
    /// The baseline's validation metric.
    pub baseline: f64,
}

/// The promotion rule: the candidate is promoted when its validation
/// `metric` is at least the baseline's times (1 + `margin`).
pub fn beats(candidate: &Metrics, baseline: &Metrics, metric: Metric, margin: f64) -> Decision {
    let (c, b) = (metric.of(candidate), metric.of(baseline));
    let needed = b * (1.0 + margin);
    let promote = c >= needed;
    let label = metric.label(candidate.k);
    let change = if b > 0.0 {
        format!("{:+.1} %", 100.0 * (c - b) / b)
    } else {
        "baseline at 0".to_owned()
    };
    let verdict = if promote {
        "promoted"
    } else {
        "kept the baseline"
    };
    Decision {
        promote,
        reason: format!(
            "{verdict}: validation {label} {c:.4} vs baseline {b:.4} ({change}; at least {needed:.4} \
             needed, margin {:.1} %)",
            100.0 * margin
        ),
        candidate: c,
        baseline: b,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn metrics(ndcg: f64) -> Metrics {
        Metrics {
            k: 10,
            customers: 1,
            precision: 0.0,
            recall: 0.0,
            ndcg,
            map: 0.0,
            coverage: 0.0,
        }
    }

    #[test]
    fn promotion_needs_the_margin() {
        let d = beats(&metrics(0.202), &metrics(0.2), Metric::Ndcg, 0.01);
        assert!(d.promote, "{}", d.reason);
        assert!(d.reason.starts_with("promoted"), "{}", d.reason);
        let d = beats(&metrics(0.2019), &metrics(0.2), Metric::Ndcg, 0.01);
        assert!(!d.promote);
        assert!(
            d.reason.contains("NDCG@10 0.2019 vs baseline 0.2000"),
            "{}",
            d.reason
        );
        assert!(beats(&metrics(0.0), &metrics(0.0), Metric::Ndcg, 0.01).promote);
    }

    /// Seven customers with 3..=9 interactions at distinct times: validation
    /// rows are train rows, never test rows, and inner train with validation
    /// is the whole training part.
    #[test]
    fn validation_is_carved_out_of_train_only() {
        let log: Vec<Interaction> = (0..7u32)
            .flat_map(|c| {
                (0..c + 3).map(move |t| Interaction {
                    customer: c,
                    item: (c * 3 + t) % 11,
                    weight: 1.0,
                    timestamp: i64::from(100 - t * 7 + c),
                    basket: None,
                })
            })
            .collect();
        let outer = split(&log);
        let inner = validation_split(&outer.train);
        let key = |x: &Interaction| (x.customer, x.item, x.timestamp);
        let test: HashSet<_> = outer.test.iter().map(key).collect();
        assert!(!inner.test.is_empty());
        assert!(inner.test.iter().all(|x| !test.contains(&key(x))));
        let mut union: Vec<_> = inner.train.iter().chain(&inner.test).map(key).collect();
        let mut train: Vec<_> = outer.train.iter().map(key).collect();
        union.sort_unstable();
        train.sort_unstable();
        assert_eq!(union, train);
        let data = Dataset {
            n_customers: 7,
            n_items: 11,
            interactions: log,
            items: vec![],
        };
        assert_eq!(validation_of(&data), inner);
    }
}
