//! Rapport's assessment of a binary scorer's probabilities.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod calibration;
pub mod curves;
pub mod importance;
pub mod reliability;
pub mod tiers;
