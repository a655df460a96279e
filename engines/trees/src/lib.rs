//! Decision-tree building shared by Rapport's tree scorers (`gbdt`, `tree`):
//! feature binning with native missing values and categories, histograms
//! and split search, best-first growth within depth and leaf budgets, and
//! path-dependent TreeSHAP contributions.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bins;
pub mod grow;
pub mod shap;
pub mod split;
pub mod tree;

pub use bins::{BinKind, BinnedRows, Binner, FeatureBins, MISSING_BIN};
pub use grow::{GrowConfig, grow};
pub use split::{Criterion, Layout, Rule, SplitLimits, Stats};
pub use tree::{Node, NodeSplit, Tree};
