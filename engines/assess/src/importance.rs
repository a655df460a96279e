//! Which input columns matter: permutation importance (the ROC AUC lost
//! when a column's values are shuffled) and the mutual information of each
//! column with the label.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rapport_core::scoring::eval::roc_auc;
use rapport_core::scoring::{ColumnKind, Frame, ScoreError, Value};
use serde::{Deserialize, Serialize};

use crate::tiers::{quantile, sorted_finite};

/// Numeric columns are cut into at most this many equal-frequency bins.
const MAX_BINS: usize = 10;

/// One column's permutation importance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationImportance {
    /// The input column.
    pub feature: String,
    /// Mean over repeats of (ROC AUC as is) - (ROC AUC with the column shuffled).
    pub mean_drop: f64,
    /// Standard deviation of the drop over repeats (population, as numpy's default).
    pub std_drop: f64,
}

/// Permutation importance of `features` (columns of `frame`, one label per
/// row): for each column, `repeats` times, the column's values are shuffled
/// across rows (seeded by `seed`, the other columns untouched), `predict`
/// scores the shuffled frame and the ROC AUC drop from the unshuffled frame
/// is recorded. Sorted by mean drop, largest first.
///
/// Refuses no repeats, a label count other than the rows, an unknown column,
/// one class, and predictions that are not one per row.
pub fn permutation_importance<E: From<ScoreError> + Send>(
    frame: &Frame,
    labels: &[bool],
    features: &[String],
    repeats: usize,
    seed: u64,
    predict: impl Fn(&Frame) -> Result<Vec<f64>, E> + Sync,
) -> Result<Vec<PermutationImportance>, E> {
    if repeats == 0 {
        return Err(invalid("repeats", "must be at least 1".to_owned()).into());
    }
    check_labels(frame, labels)?;
    let positives = labels.iter().filter(|&&l| l).count();
    if positives == 0 || positives == labels.len() {
        let class = if positives == 0 {
            "negative"
        } else {
            "positive"
        };
        return Err(ScoreError::OneClass {
            class: class.to_owned(),
        }
        .into());
    }
    let columns = column_indices(frame, features)?;
    let auc = |frame: &Frame| -> Result<f64, E> {
        let scores = predict(frame)?;
        roc_auc(&scores, labels).ok_or_else(|| {
            E::from(ScoreError::Internal(format!(
                "{} predictions for {} rows",
                scores.len(),
                labels.len()
            )))
        })
    };
    let baseline = auc(frame)?;
    // The shuffles are drawn in order from the seed, then scored side by
    // side (one thread per core at most): the figures do not depend on the
    // number of threads.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..frame.len()).collect();
    let mut tasks = Vec::with_capacity(columns.len() * repeats);
    for &column in &columns {
        for _ in 0..repeats {
            order.shuffle(&mut rng);
            tasks.push((column, order.clone()));
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(tasks.len()));
    let drop_of = |(column, order): &(usize, Vec<usize>)| -> Result<f64, E> {
        Ok(baseline - auc(&frame.with_column_permuted(*column, order))?)
    };
    let mut drops: Vec<Option<Result<f64, E>>> = (0..tasks.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (tasks, drop_of) = (&tasks, &drop_of);
                scope.spawn(move || {
                    (t..tasks.len())
                        .step_by(threads)
                        .map(|i| (i, drop_of(&tasks[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            if let Ok(done) = worker.join() {
                for (i, drop) in done {
                    drops[i] = Some(drop);
                }
            }
        }
    });
    let mut importances = Vec::with_capacity(features.len());
    for (f, feature) in features.iter().enumerate() {
        let drops = drops[f * repeats..(f + 1) * repeats]
            .iter_mut()
            .map(|d| {
                d.take().unwrap_or_else(|| {
                    Err(E::from(ScoreError::Internal(
                        "a permutation-importance worker panicked".to_owned(),
                    )))
                })
            })
            .collect::<Result<Vec<f64>, E>>()?;
        let mean = drops.iter().sum::<f64>() / repeats as f64;
        let variance = drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / repeats as f64;
        importances.push(PermutationImportance {
            feature: feature.clone(),
            mean_drop: mean,
            std_drop: variance.sqrt(),
        });
    }
    importances.sort_by(|a, b| b.mean_drop.total_cmp(&a.mean_drop));
    Ok(importances)
}

/// One column's mutual information with the label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutualInformation {
    /// The input column.
    pub feature: String,
    /// Mutual information with the binary label, in nats.
    pub mutual_information: f64,
    /// Distinct levels (or numeric bins) seen, missing counting as one.
    pub levels: usize,
}

/// Mutual information (nats) of each of `features` with the label, largest
/// first. Categorical columns count each level, numeric ones (as
/// [`ColumnKind::infer`] decides) are cut into up to ten equal-frequency
/// bins at the deciles of their values (a bin holds values up to its upper
/// edge); a missing value is a level of its own.
///
/// Refuses a label count other than the rows, an unknown column, and a
/// non-finite number.
pub fn mutual_information(
    frame: &Frame,
    labels: &[bool],
    features: &[String],
) -> Result<Vec<MutualInformation>, ScoreError> {
    check_labels(frame, labels)?;
    let columns = column_indices(frame, features)?;
    let mut scores = Vec::with_capacity(features.len());
    for (feature, &column) in features.iter().zip(&columns) {
        let values: Vec<&Value> = (0..frame.len())
            .filter_map(|i| frame.row_values(i).and_then(|row| row.get(column)))
            .collect();
        let codes = discretise(feature, &values)?;
        // Rows per level and class.
        let mut counts: BTreeMap<usize, [usize; 2]> = BTreeMap::new();
        for (&code, &label) in codes.iter().zip(labels) {
            counts.entry(code).or_default()[usize::from(label)] += 1;
        }
        scores.push(MutualInformation {
            feature: feature.clone(),
            mutual_information: information(counts.values()),
            levels: counts.len(),
        });
    }
    scores.sort_by(|a, b| b.mutual_information.total_cmp(&a.mutual_information));
    Ok(scores)
}

/// A level code per value: decile bins for a numeric column, levels in
/// sorted order for a categorical one; missing gets a code of its own.
fn discretise(column: &str, values: &[&Value]) -> Result<Vec<usize>, ScoreError> {
    match ColumnKind::infer(values.iter().copied()) {
        ColumnKind::Numeric => {
            let numbers = values
                .iter()
                .enumerate()
                .map(|(row, value)| value.read_number(column, row))
                .collect::<Result<Vec<Option<f64>>, _>>()?;
            let present: Vec<f64> = numbers.iter().flatten().copied().collect();
            let sorted = sorted_finite(&present);
            let mut edges: Vec<f64> = (1..MAX_BINS)
                .filter_map(|k| quantile(&sorted, k as f64 / MAX_BINS as f64))
                .collect();
            edges.dedup();
            let missing = edges.len() + 1;
            Ok(numbers
                .iter()
                .map(|x| x.map_or(missing, |x| edges.partition_point(|&e| e < x)))
                .collect())
        }
        ColumnKind::Categorical => {
            let levels = values
                .iter()
                .enumerate()
                .map(|(row, value)| value.read_level(column, row))
                .collect::<Result<Vec<Option<String>>, _>>()?;
            let mut codes: BTreeMap<&Option<String>, usize> = BTreeMap::new();
            for level in &levels {
                let next = codes.len();
                codes.entry(level).or_insert(next);
            }
            Ok(levels.iter().map(|level| codes[level]).collect())
        }
    }
}

/// Mutual information of level and class from `[negatives, positives]` per level.
fn information<'a>(counts: impl Iterator<Item = &'a [usize; 2]> + Clone) -> f64 {
    let mut class_totals = [0usize; 2];
    for level in counts.clone() {
        class_totals[0] += level[0];
        class_totals[1] += level[1];
    }
    let n = (class_totals[0] + class_totals[1]) as f64;
    counts
        .flat_map(|level| {
            let level_total = (level[0] + level[1]) as f64;
            level
                .iter()
                .zip(class_totals)
                .filter(|&(&joint, _)| joint > 0)
                .map(move |(&joint, class_total)| {
                    let joint = joint as f64;
                    joint / n * (joint * n / (level_total * class_total as f64)).ln()
                })
        })
        .sum()
}

/// Refuses labels that are not one per row.
fn check_labels(frame: &Frame, labels: &[bool]) -> Result<(), ScoreError> {
    if labels.len() == frame.len() {
        Ok(())
    } else {
        Err(invalid(
            "labels",
            format!("{} labels for {} rows", labels.len(), frame.len()),
        ))
    }
}

/// The position of each of `features` in `frame`.
fn column_indices(frame: &Frame, features: &[String]) -> Result<Vec<usize>, ScoreError> {
    features
        .iter()
        .map(|f| {
            frame
                .column_index(f)
                .ok_or_else(|| ScoreError::UnknownColumn(f.clone()))
        })
        .collect()
}

/// A caller mistake about argument `name`.
fn invalid(name: &str, reason: String) -> ScoreError {
    ScoreError::InvalidParam {
        name: name.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests;
