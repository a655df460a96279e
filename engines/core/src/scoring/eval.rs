//! The scorer evaluation protocol of DESIGN.md §5 on an in-memory frame
//! (row i, 0-based in input order, with i % 5 == 4 is test, the rest train)
//! and its metrics: ROC AUC, accuracy at a threshold, log loss.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::error::ScoreError;
use super::frame::Frame;
use super::prediction::Prediction;
use super::spec::TrainSpec;
use crate::params::Params;
use crate::scorer::{DynScorer, FittedScorer};

/// How many features the report ranks.
const TOP_FEATURES: usize = 10;

/// Probabilities are clipped to `[EPS, 1 - EPS]` in the log loss, as scikit-learn does.
const EPS: f64 = 1e-15;

/// Area under the ROC curve: the probability that a random positive scores
/// above a random negative, ties counting one half (Mann-Whitney U with
/// average ranks). `None` unless both classes are present.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 || scores.len() != labels.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut positive_rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start..=end (1-based: start+1..=end+1) share their average.
        let average_rank = (start + end) as f64 / 2.0 + 1.0;
        let tied_positives = order[start..=end].iter().filter(|&&i| labels[i]).count();
        positive_rank_sum += average_rank * tied_positives as f64;
        start = end + 1;
    }
    let p = positives as f64;
    Some((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Mean negative log-likelihood of the labels, probabilities clipped away from 0 and 1.
pub fn log_loss(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let total: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &positive)| {
            let p = p.clamp(EPS, 1.0 - EPS);
            -(if positive { p } else { 1.0 - p }).ln()
        })
        .sum();
    Some(total / probabilities.len() as f64)
}

/// Share of rows whose class is right when `probability > threshold` means positive.
pub fn accuracy(probabilities: &[f64], labels: &[bool], threshold: f64) -> Option<f64> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let right = probabilities
        .iter()
        .zip(labels)
        .filter(|&(&p, &positive)| (p > threshold) == positive)
        .count();
    Some(right as f64 / probabilities.len() as f64)
}

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
    /// Model columns (inputs after any encoding).
    pub model_columns: usize,
    /// ROC AUC on test; `None` when test holds one class only.
    pub roc_auc: Option<f64>,
    /// Accuracy on test with `probability > 0.5` as positive.
    pub accuracy: f64,
    /// Mean log loss on test.
    pub log_loss: f64,
    /// Wall seconds to fit on train.
    pub fit_seconds: f64,
    /// Mean wall milliseconds to score one test customer with explanations.
    pub score_ms_per_customer: f64,
    /// The training objective the engine minimised, at its solution.
    pub objective: f64,
    /// Features by mean absolute contribution on test, largest first (at most ten).
    pub top_features: Vec<FeatureImportance>,
    /// Input rows that could not be read and were left out before the split
    /// (set by whoever read the input).
    pub skipped_rows: usize,
}

/// The protocol's split of `rows` rows: the train indices, then the test
/// indices (those with `i % 5 == 4`), each in input order.
pub fn split(rows: usize) -> (Vec<usize>, Vec<usize>) {
    (0..rows).partition(|i| i % 5 != 4)
}

/// An evaluation run and what it computed on the way, for whoever assesses
/// the model further (calibration, importance, fairness).
pub struct Evaluation {
    /// The figures.
    pub report: ScorerEvalReport,
    /// The model fitted on the train rows.
    pub model: FittedScorer,
    /// Indices in the frame of the train rows.
    pub train_rows: Vec<usize>,
    /// Indices in the frame of the test rows.
    pub test_rows: Vec<usize>,
    /// The model's predictions of the test rows, in their order.
    pub test_predictions: Vec<Prediction>,
    /// The test rows' classes.
    pub test_labels: Vec<bool>,
}

/// Splits `frame` by the protocol, fits `scorer` on train, and scores test.
/// Errors about a row name its index in `frame`.
pub fn evaluate(
    scorer: &dyn DynScorer,
    frame: &Frame,
    spec: &TrainSpec,
    params: &Params,
) -> Result<ScorerEvalReport, ScoreError> {
    evaluate_in_full(scorer, frame, spec, params).map(|run| run.report)
}

/// [`evaluate`], keeping the fitted model, the split and the test predictions.
pub fn evaluate_in_full(
    scorer: &dyn DynScorer,
    frame: &Frame,
    spec: &TrainSpec,
    params: &Params,
) -> Result<Evaluation, ScoreError> {
    let (train_idx, test_idx) = split(frame.len());
    evaluate_split(scorer, frame, spec, params, train_idx, test_idx)
}

/// [`evaluate_in_full`] on a split given by the caller (for example the
/// temporal split of rows stacked at several cutoffs).
pub fn evaluate_split(
    scorer: &dyn DynScorer,
    frame: &Frame,
    spec: &TrainSpec,
    params: &Params,
    train_idx: Vec<usize>,
    test_idx: Vec<usize>,
) -> Result<Evaluation, ScoreError> {
    let (train, test) = (frame.select_rows(&train_idx), frame.select_rows(&test_idx));
    if test.is_empty() {
        return Err(ScoreError::NoTestRows(frame.len()));
    }
    let in_frame = |part: &[usize]| {
        let part = part.to_vec();
        move |e: ScoreError| e.map_row(|r| part.get(r).copied().unwrap_or(r))
    };
    let started = Instant::now();
    let model = scorer
        .fit(&train, spec, params)
        .map_err(in_frame(&train_idx))?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let label = model.label();
    let labels = test
        .iter()
        .enumerate()
        .map(|(i, row)| label.of_row(&row, test_idx[i]))
        .collect::<Result<Vec<bool>, _>>()?;
    let started = Instant::now();
    let predictions = scorer
        .predict_frame(&model, &test)
        .map_err(in_frame(&test_idx))?;
    let score_ms_per_customer = started.elapsed().as_secs_f64() * 1e3 / test.len() as f64;
    let probabilities: Vec<f64> = predictions.iter().map(|p| p.probability).collect();
    let stats = model.stats();
    let report = ScorerEvalReport {
        engine: scorer.name().to_owned(),
        label: format!("{}={}", label.column, label.positive),
        train_rows: train.len(),
        test_rows: test.len(),
        train_positives: stats.positives,
        test_positives: labels.iter().filter(|&&l| l).count(),
        model_columns: stats.columns,
        roc_auc: roc_auc(&probabilities, &labels),
        accuracy: accuracy(&probabilities, &labels, 0.5).unwrap_or(0.0),
        log_loss: log_loss(&probabilities, &labels).unwrap_or(0.0),
        fit_seconds,
        score_ms_per_customer,
        objective: stats.objective,
        top_features: top_features(&predictions),
        skipped_rows: 0,
    };
    Ok(Evaluation {
        report,
        model,
        train_rows: train_idx,
        test_rows: test_idx,
        test_predictions: predictions,
        test_labels: labels,
    })
}

/// The features with the largest mean |contribution| (ties by name).
fn top_features(predictions: &[Prediction]) -> Vec<FeatureImportance> {
    let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorer::tests::{Prior, frame};
    use crate::scoring::{LabelSpec, Value};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn auc_counts_pairs_and_halves_ties() {
        // Positives 0.9, 0.4; negatives 0.5, 0.1: pairs won (0.9>0.5), (0.9>0.1), (0.4>0.1),
        // lost (0.4<0.5): AUC = 3/4.
        let auc = roc_auc(&[0.9, 0.5, 0.4, 0.1], &[true, false, true, false]).unwrap();
        assert!(close(auc, 0.75));
        // Positive 0.5 ties negative 0.5 and beats negative 0.2: (0.5 + 1) / 2.
        let auc = roc_auc(&[0.5, 0.5, 0.2], &[true, false, false]).unwrap();
        assert!(close(auc, 0.75));
        assert!(close(roc_auc(&[0.3, 0.3], &[true, false]).unwrap(), 0.5));
        assert!(close(roc_auc(&[0.1, 0.9], &[false, true]).unwrap(), 1.0));
        assert_eq!(roc_auc(&[0.1, 0.9], &[true, true]), None);
    }

    #[test]
    fn log_loss_by_hand_and_clipped() {
        // -(ln 0.8 + ln(1 - 0.3)) / 2
        let expected = -(0.8f64.ln() + 0.7f64.ln()) / 2.0;
        assert!(close(
            log_loss(&[0.8, 0.3], &[true, false]).unwrap(),
            expected
        ));
        // A certain wrong answer costs -ln(1e-15), not infinity.
        let clipped = log_loss(&[0.0], &[true]).unwrap();
        assert!(close(clipped, -(1e-15f64).ln()));
        assert_eq!(log_loss(&[], &[]), None);
    }

    #[test]
    fn accuracy_at_half() {
        let acc = accuracy(&[0.9, 0.6, 0.4, 0.5], &[true, false, false, true], 0.5).unwrap();
        // Right: 0.9 (pos), 0.4 (neg); wrong: 0.6 (neg), 0.5 (pos, not above 0.5).
        assert!(close(acc, 0.5));
    }

    #[test]
    fn evaluate_splits_fits_on_train_and_measures_test() {
        let spec = TrainSpec::new(LabelSpec::rule("y", "Yes"));
        let report = evaluate(&Prior("prior"), &frame(), &spec, &Params::new()).unwrap();
        // Test rows 4 and 9: labels Yes and No; train holds 3 of 8 positives.
        assert_eq!((report.train_rows, report.test_rows), (8, 2));
        assert_eq!((report.train_positives, report.test_positives), (3, 1));
        assert_eq!(report.engine, "prior");
        assert_eq!(report.label, "y=Yes");
        // The scores grow with x, so the positive row 4 ranks below row 9.
        assert_eq!(report.roc_auc, Some(0.0));
        assert_eq!(report.top_features[0].feature, "x");
        assert!((report.top_features[0].mean_abs_contribution - 0.65).abs() < 1e-12);
        let prior: &dyn DynScorer = &Prior("prior");
        let model = prior
            .fit(&frame().select_rows(&split(10).0), &spec, &Params::new())
            .unwrap();
        let test = frame().select_rows(&[4, 9]);
        let p: Vec<f64> = prior
            .predict_frame(&model, &test)
            .unwrap()
            .iter()
            .map(|p| p.probability)
            .collect();
        assert_eq!(report.log_loss, log_loss(&p, &[true, false]).unwrap());
        assert_eq!(report.accuracy, accuracy(&p, &[true, false], 0.5).unwrap());
    }

    #[test]
    fn errors_name_rows_of_the_whole_frame() {
        let spec = TrainSpec::new(LabelSpec::rule("y", "Yes"));
        let mut rows: Vec<Vec<Value>> = (0..10)
            .map(|i| frame().row_values(i).unwrap().to_vec())
            .collect();
        rows[7][1] = Value::Missing;
        let columns = frame().columns().to_vec();
        let unlabelled = Frame::new(columns.clone(), rows.clone()).unwrap();
        let err = evaluate(&Prior("p"), &unlabelled, &spec, &Params::new()).unwrap_err();
        assert!(
            matches!(err, ScoreError::MissingLabel { row: 7, .. }),
            "{err}"
        );
        rows[7][1] = Value::Text("No".into());
        rows[9][0] = Value::Text("nine".into());
        let odd = Frame::new(columns, rows).unwrap();
        let err = evaluate(&Prior("p"), &odd, &spec, &Params::new()).unwrap_err();
        assert!(
            matches!(err, ScoreError::NotNumeric { row: 9, .. }),
            "{err}"
        );
        let few = frame().select_rows(&[0, 1, 2, 3]);
        assert!(matches!(
            evaluate(&Prior("p"), &few, &spec, &Params::new()),
            Err(ScoreError::NoTestRows(4))
        ));
    }
}
