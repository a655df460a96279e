//! Rapport's assessment of a binary scorer's probabilities ("trustworthy
//! scores"): plain data in, plain serialisable figures out.
//!
//! - [`assessment`]: [`fit_assessed`] trains a scorer with all of the
//!   below: the figures a model report shows, and what serving needs.
//! - [`calibration`]: Platt scaling and isotonic regression, and
//!   [`choose_calibrator`], which keeps whichever of identity, Platt and
//!   isotonic has the lowest cross-fitted log loss on a calibration part.
//! - [`mod@reliability`]: Brier score, expected calibration error and the
//!   reliability table.
//! - [`tiers`]: very high / high / medium / low by the quartiles of the
//!   training scores.
//! - [`curves`]: ROC and precision-recall curves, average precision,
//!   cumulative gains and lift by decile.
//! - [`importance`]: permutation importance (ROC AUC drop) and mutual
//!   information of each column with the label.
//! - [`fairness`]: per-group figures of a protected attribute and the
//!   four-fifths rule.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod assessment;
pub mod calibration;
pub mod curves;
pub mod fairness;
pub mod importance;
pub mod reliability;
pub mod tiers;

pub use assessment::{
    AssessOptions, AssessedScorer, Assessment, CalibrationReport, Curves, TestCalibration,
    fit_assessed,
};
pub use calibration::{
    CalibrationChoice, CalibrationMethod, Calibrator, CandidateLosses, MIN_CALIBRATION_ROWS,
    choose_calibrator,
};
pub use curves::{
    GainsRow, PrPoint, RocPoint, average_precision, gains, precision_recall_curve, roc_curve,
    trapezoid_auc,
};
pub use fairness::{DEFAULT_THRESHOLD, FOUR_FIFTHS, FairnessReport, GroupFairness, group_fairness};
pub use importance::{
    MutualInformation, PermutationImportance, mutual_information, permutation_importance,
};
pub use reliability::{
    DEFAULT_BINS, Reliability, ReliabilityBin, brier_score, expected_calibration_error,
    reliability, reliability_table,
};
pub use tiers::{Tier, TierThresholds, quantile};
