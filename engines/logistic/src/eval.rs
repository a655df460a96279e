//! The scorer evaluation protocol of DESIGN.md §5 on an in-memory frame:
//! row i (0-based, input order) with i % 5 == 4 is test, the rest train.

use std::time::Instant;

use serde::Serialize;

use crate::error::ScoreError;
use crate::explain::Prediction;
use crate::metrics::{accuracy, log_loss, roc_auc};
use crate::model::{LogisticModel, TrainSpec};
use crate::params::LogisticParams;
use crate::value::Frame;

/// How many features the report ranks.
const TOP_FEATURES: usize = 10;

/// One feature's mean absolute contribution over the test rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureImportance {
    /// The input column.
    pub feature: String,
    /// Mean of |contribution| on the logit scale.
    pub mean_abs_contribution: f64,
}

/// Figures of one evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorerEvalReport {
    /// Engine name.
    pub engine: String,
    /// Label column and positive class, as `column=positive`.
    pub label: String,
    /// Train rows.
    pub train_rows: usize,
    /// Test rows.
    pub test_rows: usize,
    /// Positive rows in train.
    pub train_positives: usize,
    /// Positive rows in test.
    pub test_positives: usize,
    /// Model columns after encoding.
    pub model_columns: usize,
    /// ROC AUC on test; `None` when test holds one class only.
    pub roc_auc: Option<f64>,
    /// Accuracy on test with `probability > 0.5` as positive.
    pub accuracy: f64,
    /// Mean log loss on test.
    pub log_loss: f64,
    /// Wall seconds to fit the pipeline and the regression on train.
    pub fit_seconds: f64,
    /// Train objective `sum(log loss) + alpha / 2 * ||w||^2` at the solution.
    pub objective: f64,
    /// Features by mean absolute contribution on test, largest first (at most ten).
    pub top_features: Vec<FeatureImportance>,
    /// Input rows that could not be read and were left out before the split.
    pub skipped_rows: usize,
}

/// Splits `frame` by the protocol, fits on train, and scores test.
pub fn evaluate(
    frame: &Frame,
    spec: &TrainSpec,
    params: &LogisticParams,
) -> Result<ScorerEvalReport, ScoreError> {
    let (train_idx, test_idx): (Vec<usize>, Vec<usize>) =
        (0..frame.len()).partition(|i| i % 5 != 4);
    let (train, test) = (frame.select_rows(&train_idx), frame.select_rows(&test_idx));
    if test.is_empty() {
        return Err(ScoreError::Input(format!(
            "{} rows leave no test row (row i with i % 5 == 4 is test)",
            frame.len()
        )));
    }
    let started = Instant::now();
    let model = LogisticModel::fit(&train, spec, params)
        .map_err(|e| e.map_row(|r| train_idx.get(r).copied().unwrap_or(r)))?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let labels = test
        .iter()
        .enumerate()
        .map(|(i, row)| model.label().of_row(&row, test_idx[i]))
        .collect::<Result<Vec<bool>, _>>()?;
    let predictions = model
        .predict_frame(&test)
        .map_err(|e| e.map_row(|r| test_idx.get(r).copied().unwrap_or(r)))?;
    let probabilities: Vec<f64> = predictions.iter().map(|p| p.probability).collect();
    let label = model.label();
    Ok(ScorerEvalReport {
        engine: "logistic".to_owned(),
        label: format!("{}={}", label.column, label.positive),
        train_rows: train.len(),
        test_rows: test.len(),
        train_positives: model.stats().positives,
        test_positives: labels.iter().filter(|&&l| l).count(),
        model_columns: model.stats().columns,
        roc_auc: roc_auc(&probabilities, &labels),
        accuracy: accuracy(&probabilities, &labels, 0.5).unwrap_or(0.0),
        log_loss: log_loss(&probabilities, &labels).unwrap_or(0.0),
        fit_seconds,
        objective: model.stats().objective,
        top_features: top_features(&predictions),
        skipped_rows: 0,
    })
}

/// The features with the largest mean |contribution| (ties by name).
fn top_features(predictions: &[Prediction]) -> Vec<FeatureImportance> {
    let mut totals: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    for factor in predictions.iter().flat_map(|p| &p.factors) {
        *totals.entry(factor.feature.as_str()).or_default() += factor.contribution.abs();
    }
    let n = predictions.len().max(1) as f64;
    let mut ranked: Vec<FeatureImportance> = totals
        .into_iter()
        .map(|(feature, total)| FeatureImportance {
            feature: feature.to_owned(),
            mean_abs_contribution: total / n,
        })
        .collect();
    ranked.sort_by(|a, b| b.mean_abs_contribution.total_cmp(&a.mean_abs_contribution));
    ranked.truncate(TOP_FEATURES);
    ranked
}
