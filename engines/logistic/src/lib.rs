//! Rapport's `logistic` scoring engine: a feature pipeline over customer
//! attributes and behaviour (standardised numbers with median imputation,
//! one-hot categories), L2 logistic regression fitted with linfa, and
//! per-feature explanations of every probability. It implements
//! [`rapport_core::Scorer`]; the frame, label and prediction types are the
//! core crate's.
//!
//! ```
//! use std::collections::BTreeMap;
//! use rapport_core::scoring::{Frame, LabelSpec, TrainSpec, Value};
//! use rapport_core::{Params, ScoreError, Scorer};
//! use rapport_logistic::Logistic;
//!
//! # fn main() -> Result<(), ScoreError> {
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
//! let params = Params::new().with("min_frequency", 1);
//! let model = Logistic.fit(&frame, &TrainSpec::new(LabelSpec::rule("churn", "Yes")), &params)?;
//!
//! let customer = BTreeMap::from([("plan".to_owned(), text("basic"))]); // tenure missing
//! let model = Logistic.from_bytes(&Logistic.to_bytes(&model)?)?;
//! let prediction = Logistic.predict(&model, &customer)?;
//! let sum: f64 = prediction.factors.iter().map(|f| f.contribution).sum();
//! assert!((prediction.intercept + sum - prediction.logit).abs() < 1e-12);
//! assert_eq!(prediction.factors[0].feature, "plan");
//! # Ok(())
//! # }
//! ```

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod encode;
mod engine;
mod model;
mod params;
mod pipeline;

#[cfg(test)]
mod model_tests;

pub use encode::{CategoricalEncoder, MISSING_LEVEL, NumericEncoder, OTHER_LEVEL};
pub use engine::Logistic;
pub use model::LogisticModel;
pub use params::{ClassWeight, LogisticParams, param_specs};
pub use pipeline::{Encoder, Feature, Pipeline};
