//! Rapport's `online` engine: evaluating recommendations on live traffic.
//!
//! Plain data in, plain data out: no HTTP, no database, no async.
//!
//! - [`assign()`] places a customer in an experiment arm deterministically
//!   (SHA-256 of the experiment key and the customer id), stable across
//!   processes and restarts.
//! - [`attribute`] links actions (clicks, purchases, ...) to the exposure
//!   that caused them: an explicit exposure id, else the last touch within a
//!   window.
//! - [`online_metrics`] aggregates exposures and attributed actions per hour
//!   or day: impressions, action counts and rates, revenue and Gorse's
//!   positive feedback rate.
//! - [`experiment_results`] compares arms: conversion rates with Wilson
//!   intervals, a two-proportion z-test against the control and a
//!   sample-ratio-mismatch check.
//!
//! ```
//! use rapport_online::{assign, wilson};
//! use uuid::Uuid;
//!
//! let customer = Uuid::from_u128(42);
//! let arm = assign("homepage-v2", customer, &[1.0, 1.0]);
//! assert_eq!(arm, assign("homepage-v2", customer, &[1.0, 1.0]));
//! let (low, high) = wilson(50, 100, 1.96);
//! assert!(low < 0.5 && 0.5 < high);
//! ```

pub mod assign;
pub mod attribution;
pub mod experiment;
pub mod metrics;
pub mod stats;

pub use assign::{Arm, assign, assign_arm, unit_hash};
pub use attribution::{Action, Attributed, Exposure, attribute};
pub use experiment::{ArmResult, ExperimentResults, experiment_results};
pub use metrics::{Bucket, Interval, online_metrics};
pub use stats::{
    ProportionTest, SRM_THRESHOLD, SampleRatio, Z95, chi_square_sf, sample_ratio, two_proportion_z,
    wilson,
};
