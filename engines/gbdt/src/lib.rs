//! Rapport's `gbdt` scoring engine: gradient-boosted decision trees for a
//! binary label. Histogram trees (quantile bins, missing values sent to the
//! side learned at each split, categories split by partitions), Newton leaf
//! values on log loss with L2 regularisation and shrinkage, optional seeded
//! row subsampling, and the number of trees chosen by early stopping on an
//! evenly spaced validation part of the training rows. Each prediction
//! carries per-feature TreeSHAP contributions (path-dependent) that add up,
//! with the intercept (the model's expected value), to the logit.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod engine;
mod model;
mod params;

#[cfg(test)]
mod model_tests;

pub use engine::Gbdt;
pub use model::{GbdtModel, carve};
pub use params::{GbdtParams, param_specs};
