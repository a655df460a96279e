//! Rapport's scoring engine (`logistic`): a feature pipeline over customer
//! attributes and behaviour, L2 logistic regression fitted with linfa, and
//! per-feature explanations of every probability.
//!
//! ```
//! use std::collections::BTreeMap;
//! use rapport_logistic::{Frame, LabelSpec, LogisticModel, LogisticParams, TrainSpec, Value};
//!
//! # fn main() -> Result<(), rapport_logistic::ScoreError> {
//! let text = |s: &str| Value::Text(s.to_owned());
//! let rows = (0..20)
//!     .map(|i| {
//!         let plan = if i % 2 == 0 { "basic" } else { "pro" };
//!         let churned = (plan == "basic") != (i % 7 == 0);
//!         vec![Value::Number(f64::from(i)), text(plan), text(if churned { "Yes" } else { "No" })]
//!     })
//!     .collect();
//! let columns = vec!["tenure".into(), "plan".into(), "churn".into()];
//! let frame = Frame::new(columns, rows)?;
//! let params = LogisticParams { min_frequency: 1, ..LogisticParams::default() };
//! let model = LogisticModel::fit(&frame, &TrainSpec::new(LabelSpec::rule("churn", "Yes")), &params)?;
//!
//! let customer = BTreeMap::from([("plan".to_owned(), text("basic"))]); // tenure missing
//! let prediction = LogisticModel::from_bytes(&model.to_bytes()?)?.predict(&customer)?;
//! let sum: f64 = prediction.factors.iter().map(|f| f.contribution).sum();
//! assert!((prediction.intercept + sum - prediction.logit).abs() < 1e-12);
//! assert_eq!(prediction.factors[0].feature, "plan");
//! # Ok(())
//! # }
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
