//! Training a scorer with the evidence that makes its scores trustworthy:
//! the protocol's evaluation (DESIGN.md §5), a calibration fitted on a part
//! of the training rows held out from the model, the test figures before
//! and after calibration, curves, permutation importance, mutual
//! information, per-group fairness, and the tiers of the final model.
//!
//! The rows are used as follows: the protocol's test rows (i % 5 == 4) are
//! only ever scored; the calibration is fitted on out-of-fold scores of the
//! training rows (five folds); the evaluated model is fitted on all training
//! rows, and the served model on every row.

use rapport_core::scoring::eval::{evaluate_in_full, evaluate_split};
use rapport_core::scoring::{Frame, ResolvedLabel, ScoreError, ScorerEvalReport, TrainSpec, Value};
use rapport_core::{DynScorer, FittedScorer, Params};
use serde::Serialize;

use crate::calibration::{CalibrationChoice, CalibrationMethod, Calibrator, CandidateLosses};
use crate::curves::{GainsRow, PrPoint, RocPoint};
use crate::fairness::{DEFAULT_THRESHOLD, FairnessReport};
use crate::importance::{MutualInformation, PermutationImportance};
use crate::reliability::{DEFAULT_BINS, Reliability};
use crate::tiers::TierThresholds;

/// What to assess beyond the protocol's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessOptions {
    /// Columns whose groups the fairness report compares; they need not be
    /// features (a column left out of the model can still be checked).
    pub protected: Vec<String>,
    /// Shuffles of each feature in the permutation importance.
    pub repeats: usize,
    /// Seed of those shuffles.
    pub seed: u64,
    /// Train and test rows; the protocol's split (row i % 5 == 4 is test) when none.
    pub split: Option<(Vec<usize>, Vec<usize>)>,
}

impl Default for AssessOptions {
    fn default() -> Self {
        Self {
            protected: Vec::new(),
            repeats: 5,
            seed: 42,
            split: None,
        }
    }
}

/// The calibration kept and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationReport {
    /// `identity`, `platt` or `isotonic`.
    pub method: CalibrationMethod,
    /// Why this one.
    pub reason: String,
    /// Each candidate's cross-fitted log loss on the out-of-fold scores.
    pub cross_fitted_log_loss: CandidateLosses,
    /// Training rows scored out of fold to fit it.
    pub rows: usize,
}

/// The test rows' reliability before and after calibration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestCalibration {
    /// The model's own probabilities.
    pub raw: Reliability,
    /// The calibrated probabilities, which serving returns.
    pub calibrated: Reliability,
}

/// Curves of the calibrated test scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Curves {
    /// ROC curve.
    pub roc: Vec<RocPoint>,
    /// Precision-recall curve.
    pub precision_recall: Vec<PrPoint>,
    /// Average precision (area under the precision-recall steps).
    pub average_precision: Option<f64>,
    /// Cumulative gains and lift by decile.
    pub gains: Vec<GainsRow>,
}

/// Everything the assessment measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The protocol's figures of the uncalibrated model (flattened: its
    /// keys are the assessment's own, as `rapport eval` prints them).
    #[serde(flatten)]
    pub evaluation: ScorerEvalReport,
    /// The calibration kept.
    pub calibration: CalibrationReport,
    /// Brier score, log loss, ECE and reliability table on test.
    pub test: TestCalibration,
    /// ROC, precision-recall and gains on test (none when test has one class).
    pub curves: Option<Curves>,
    /// The quartiles of the final model's own (uncalibrated) training scores.
    pub tiers: TierThresholds,
    /// ROC AUC drop on test when each feature is shuffled, largest first.
    pub permutation_importance: Vec<PermutationImportance>,
    /// Mutual information of each feature with the label on the training rows.
    pub mutual_information: Vec<MutualInformation>,
    /// Per-group figures of each protected attribute on test.
    pub fairness: Vec<FairnessReport>,
}

/// A scorer fitted on every row, with its calibration and tiers: what
/// serving needs, and the assessment that justifies it.
pub struct AssessedScorer {
    /// The model fitted on every row.
    pub model: FittedScorer,
    /// Maps the model's probabilities to calibrated ones.
    pub calibrator: Calibrator,
    /// The quartiles that separate the tiers.
    pub tiers: TierThresholds,
    /// The figures.
    pub assessment: Assessment,
}

/// Evaluates `scorer` by the protocol, calibrates it, assesses it, and fits
/// the model to serve on every row of `frame`.
pub fn fit_assessed(
    scorer: &dyn DynScorer,
    frame: &Frame,
    spec: &TrainSpec,
    params: &Params,
    options: &AssessOptions,
) -> Result<AssessedScorer, ScoreError> {
    let protected = protected_columns(frame, &options.protected)?;
    let run = match &options.split {
        Some((train, test)) => {
            evaluate_split(scorer, frame, spec, params, train.clone(), test.clone())?
        }
        None => evaluate_in_full(scorer, frame, spec, params)?,
    };
    let label = run.model.label().clone();
    let features = spec.feature_columns(frame, &label)?;
    let choice = calibrate(scorer, frame, spec, params, &run.train_rows, &label)?;
    let calibrator = choice.calibrator.clone();

    let raw: Vec<f64> = run.test_predictions.iter().map(|p| p.probability).collect();
    let calibrated = calibrator.apply_all(&raw);
    let y = &run.test_labels;
    let test = TestCalibration {
        raw: crate::reliability::reliability(&raw, y, DEFAULT_BINS).ok_or(ScoreError::NoRows)?,
        calibrated: crate::reliability::reliability(&calibrated, y, DEFAULT_BINS)
            .ok_or(ScoreError::NoRows)?,
    };
    let test_frame = frame.select_rows(&run.test_rows);
    let fairness = protected
        .iter()
        .filter_map(|(name, column)| {
            let groups: Vec<_> = run
                .test_rows
                .iter()
                .map(|&i| frame.row_values(i).and_then(|r| r.get(*column)).cloned())
                .map(|v| v.unwrap_or(Value::Missing))
                .collect();
            crate::fairness::group_fairness(name, &groups, &calibrated, y, DEFAULT_THRESHOLD)
        })
        .collect();
    let permutation_importance = if has_both_classes(y) {
        crate::importance::permutation_importance(
            &test_frame,
            y,
            &features,
            options.repeats,
            options.seed,
            |shuffled: &Frame| probabilities(scorer, &run.model, shuffled),
        )?
    } else {
        Vec::new()
    };
    let train_labels = labels_of(frame, &run.train_rows, &label)?;
    let mutual_information = crate::importance::mutual_information(
        &frame.select_rows(&run.train_rows),
        &train_labels,
        &features,
    )?;

    let model = scorer.fit(frame, spec, params)?;
    // Tiers rank by the model's own scores: calibration keeps their order,
    // and isotonic steps would tie many of them.
    let served = probabilities(scorer, &model, frame)?;
    let tiers = TierThresholds::from_scores(&served).ok_or(ScoreError::NoRows)?;
    let assessment = Assessment {
        curves: curves(&calibrated, y),
        evaluation: run.report,
        calibration: CalibrationReport {
            method: choice.method,
            reason: choice.reason,
            cross_fitted_log_loss: choice.cross_fitted_log_loss,
            rows: run.train_rows.len(),
        },
        test,
        tiers,
        permutation_importance,
        mutual_information,
        fairness,
    };
    Ok(AssessedScorer {
        model,
        calibrator,
        tiers,
        assessment,
    })
}

/// The protected attributes' column indices; each must be a column of `frame`.
fn protected_columns(frame: &Frame, names: &[String]) -> Result<Vec<(String, usize)>, ScoreError> {
    names
        .iter()
        .map(|name| {
            frame
                .column_index(name)
                .map(|i| (name.clone(), i))
                .ok_or_else(|| ScoreError::UnknownColumn(name.clone()))
        })
        .collect()
}

/// Folds of the cross-fitted calibration.
const FOLDS: usize = 5;

/// One fold's positions among the training rows, and their out-of-fold scores.
type FoldScores = (Vec<usize>, Vec<f64>);

/// Cross-fits the calibration on the training rows: the j-th training row
/// falls in fold j % 5, and is scored by a model fitted on the other four
/// folds; the calibrator with the lowest cross-fitted log loss on those
/// out-of-fold scores is kept (scikit-learn's `CalibratedClassifierCV` with
/// `ensemble=False`). A fold whose model cannot be fitted (one class, say)
/// leaves the scores as they are, saying why. Test rows are never seen.
fn calibrate(
    scorer: &dyn DynScorer,
    frame: &Frame,
    spec: &TrainSpec,
    params: &Params,
    train_rows: &[usize],
    label: &ResolvedLabel,
) -> Result<CalibrationChoice, ScoreError> {
    // One fold: its positions among the training rows and their scores by
    // a model fitted on the other folds.
    let fold_scores = |fold: usize| -> Result<FoldScores, ScoreError> {
        let (held, fitted): (Vec<usize>, Vec<usize>) =
            (0..train_rows.len()).partition(|j| j % FOLDS == fold);
        let rows = |positions: &[usize]| -> Vec<usize> {
            positions.iter().map(|&j| train_rows[j]).collect()
        };
        let model = scorer.fit(&frame.select_rows(&rows(&fitted)), spec, params)?;
        let scores = probabilities(scorer, &model, &frame.select_rows(&rows(&held)))?;
        Ok((held, scores))
    };
    // The folds are fitted side by side, one thread per core at most.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(FOLDS));
    let folds: Vec<Result<FoldScores, ScoreError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let fold_scores = &fold_scores;
                scope.spawn(move || {
                    (t..FOLDS)
                        .step_by(threads)
                        .map(fold_scores)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join().unwrap_or_else(|_| {
                    vec![Err(ScoreError::Internal(
                        "a calibration fold panicked".into(),
                    ))]
                })
            })
            .collect()
    });
    let mut out_of_fold = vec![0.0; train_rows.len()];
    for fold in folds {
        let (held, scores) = match fold {
            Ok(fold) => fold,
            Err(e) if e.is_internal() => return Err(e),
            Err(e) => {
                return Ok(CalibrationChoice {
                    calibrator: Calibrator::Identity,
                    method: CalibrationMethod::Identity,
                    reason: format!("no model could be fitted without one of the folds: {e}"),
                    cross_fitted_log_loss: CandidateLosses::default(),
                });
            }
        };
        for (j, p) in held.into_iter().zip(scores) {
            out_of_fold[j] = p;
        }
    }
    let labels = labels_of(frame, train_rows, label)?;
    Ok(crate::calibration::choose_calibrator(&out_of_fold, &labels))
}

/// The model's probability of each row of `frame`.
fn probabilities(
    scorer: &dyn DynScorer,
    model: &FittedScorer,
    frame: &Frame,
) -> Result<Vec<f64>, ScoreError> {
    scorer.probabilities(model, frame)
}

/// The classes of `rows` of `frame`.
fn labels_of(
    frame: &Frame,
    rows: &[usize],
    label: &ResolvedLabel,
) -> Result<Vec<bool>, ScoreError> {
    rows.iter()
        .map(|&i| {
            let row = frame.row(i).ok_or(ScoreError::NoRows)?;
            label.of_row(&row, i)
        })
        .collect()
}

fn has_both_classes(labels: &[bool]) -> bool {
    labels.iter().any(|&l| l) && labels.iter().any(|&l| !l)
}

/// ROC, precision-recall and gains of `scores`; none unless both classes are there.
fn curves(scores: &[f64], labels: &[bool]) -> Option<Curves> {
    Some(Curves {
        roc: crate::curves::roc_curve(scores, labels)?,
        precision_recall: crate::curves::precision_recall_curve(scores, labels)?,
        average_precision: crate::curves::average_precision(scores, labels),
        gains: crate::curves::gains(scores, labels)?,
    })
}

#[cfg(test)]
mod tests {
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};
    use rapport_core::DynScorer;
    use rapport_core::scoring::{LabelSpec, sigmoid};

    use super::*;

    /// 500 customers: churn follows `signal` (with probability sigmoid(2x)),
    /// `noise` says nothing, `region` is a group the model does not see.
    fn customers() -> Frame {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let rows = (0..500)
            .map(|i| {
                let x = 4.0 * rng.random::<f64>() - 2.0;
                let churned = rng.random::<f64>() < sigmoid(2.0 * x);
                vec![
                    Value::Number(x),
                    Value::Number(rng.random::<f64>()),
                    Value::Text(["north", "south"][i % 2].to_owned()),
                    Value::Text(if churned { "Yes" } else { "No" }.to_owned()),
                ]
            })
            .collect();
        let columns = ["signal", "noise", "region", "churn"].map(String::from);
        Frame::new(columns.to_vec(), rows).unwrap()
    }

    fn spec() -> TrainSpec {
        let mut spec = TrainSpec::new(LabelSpec::rule("churn", "Yes"));
        spec.exclude.push("region".to_owned());
        spec
    }

    fn assessed(protected: &[&str]) -> Result<AssessedScorer, ScoreError> {
        let logistic: &dyn DynScorer = &rapport_logistic::Logistic;
        let options = AssessOptions {
            protected: protected.iter().map(|s| s.to_string()).collect(),
            ..AssessOptions::default()
        };
        fit_assessed(logistic, &customers(), &spec(), &Params::new(), &options)
    }

    #[test]
    fn a_scorer_is_evaluated_calibrated_explained_and_checked_for_fairness() {
        let fitted = assessed(&["region"]).unwrap();
        let a = &fitted.assessment;
        assert_eq!(
            (a.evaluation.train_rows, a.evaluation.test_rows),
            (400, 100)
        );
        assert_eq!(a.calibration.rows, 400);
        assert_eq!((a.test.raw.rows, a.test.calibrated.rows), (100, 100));
        assert!(a.evaluation.roc_auc.unwrap() > 0.8, "{:?}", a.evaluation);
        // Every candidate was cross-fitted on the out-of-fold scores.
        let losses = &a.calibration.cross_fitted_log_loss;
        assert!(
            losses.identity.is_some() && losses.platt.is_some() && losses.isotonic.is_some(),
            "{:?}",
            a.calibration
        );
        let t = fitted.tiers;
        assert!(t.q25 < t.q50 && t.q50 < t.q75, "{t:?}");
        assert_eq!(a.tiers, t);

        let importance = &a.permutation_importance;
        assert_eq!(importance[0].feature, "signal");
        assert!(importance[0].mean_drop > 0.2, "{importance:?}");
        let noise = importance.iter().find(|f| f.feature == "noise").unwrap();
        assert!(noise.mean_drop.abs() < 0.05, "{importance:?}");
        let names: Vec<&str> = a
            .mutual_information
            .iter()
            .map(|m| m.feature.as_str())
            .collect();
        assert!(
            names.contains(&"signal") && !names.contains(&"region"),
            "{names:?}"
        );

        // The excluded region is still checked for fairness, on test.
        let region = &a.fairness[0];
        assert_eq!(region.attribute, "region");
        let counted: usize = region.groups.iter().map(|g| g.count).sum();
        assert_eq!(counted, 100);
        assert_eq!(region.groups.len(), 2);

        let curves = a.curves.as_ref().unwrap();
        assert_eq!(curves.gains.len(), 10);
        assert_eq!(curves.roc.first().map(|p| (p.fpr, p.tpr)), Some((0.0, 0.0)));
        // The served model saw every row.
        assert_eq!(fitted.model.stats().rows, 500);
    }

    /// The calibration never sees a test row: flipping every test label
    /// leaves the calibrator as it was.
    #[test]
    fn the_calibration_is_fitted_on_training_rows_only() {
        let frame = customers();
        let (_, test) = rapport_core::scoring::eval::split(frame.len());
        let flipped_rows = (0..frame.len())
            .map(|i| {
                let mut row = frame.row_values(i).unwrap().to_vec();
                if test.contains(&i) {
                    let yes = row[3] == Value::Text("Yes".to_owned());
                    row[3] = Value::Text(if yes { "No" } else { "Yes" }.to_owned());
                }
                row
            })
            .collect();
        let flipped = Frame::new(frame.columns().to_vec(), flipped_rows).unwrap();
        let logistic: &dyn DynScorer = &rapport_logistic::Logistic;
        let options = AssessOptions::default();
        let fit = |f: &Frame| fit_assessed(logistic, f, &spec(), &Params::new(), &options).unwrap();
        let (original, changed) = (fit(&frame), fit(&flipped));
        assert_eq!(original.calibrator, changed.calibrator);
        assert_ne!(
            original.assessment.evaluation.roc_auc,
            changed.assessment.evaluation.roc_auc
        );
    }

    #[test]
    fn an_unknown_protected_attribute_is_refused() {
        assert!(matches!(
            assessed(&["planet"]),
            Err(ScoreError::UnknownColumn(c)) if c == "planet"
        ));
    }
}
