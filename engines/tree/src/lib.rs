//! Rapport's `tree` scoring engine: one CART decision tree (Gini impurity
//! or entropy, depth-limited, a minimum of rows per leaf) on binned
//! features with native missing values and categories. A prediction is
//! explained by its path: each split's change in the node logit goes to the
//! split's feature (see [`TreeModel`]). [`TreeModel::rules`] gives each
//! leaf's rule as conditions, probability and rows, and as readable text.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod engine;
mod model;
mod params;
mod rules;

#[cfg(test)]
mod tests;

pub use engine::DecisionTree;
pub use model::TreeModel;
pub use params::{TreeParams, param_specs};
pub use rules::{Condition, LeafRule, Test, leaf_rules};
