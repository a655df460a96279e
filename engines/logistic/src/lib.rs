//! Rapport's scoring engine (`logistic`): a feature pipeline over customer
//! attributes and behaviour, L2 logistic regression fitted with linfa, and
//! per-feature explanations of every probability.
//!
//! ```text
//! Frame + TrainSpec + Params --LogisticModel::fit--> LogisticModel
//! LogisticModel::predict(row) -> Prediction { probability, factors }
//! LogisticModel::to_bytes / from_bytes (pipeline included)
//! ```

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod behaviour;
mod cli;
mod encode;
mod error;
mod eval;
mod explain;
mod label;
pub mod metrics;
mod model;
mod params;
mod pipeline;
mod value;

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod model_tests;

pub use behaviour::{BehaviourFeatures, CustomerEvent, KINDS, WINDOWS};
pub use cli::{ScorerEvalArgs, run_scorer_eval};
pub use encode::{CategoricalEncoder, ColumnKind, MISSING_LEVEL, NumericEncoder, OTHER_LEVEL};
pub use error::ScoreError;
pub use eval::{FeatureImportance, ScorerEvalReport, evaluate};
pub use explain::{Factor, Prediction, sigmoid};
pub use label::{LabelSpec, ResolvedLabel};
pub use model::{ENGINE, LogisticModel, TrainSpec, TrainStats};
pub use params::{
    ClassWeight, LogisticParams, ScorerDescription, ScorerNeed, describe, param_specs,
};
pub use pipeline::{Encoder, Feature, Pipeline};
pub use value::{Frame, FrameRow, Row, Value};
