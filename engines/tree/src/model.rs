//! The decision-tree model: one CART tree grown on the positive share, and
//! scoring explained by the path from the root to the customer's leaf.
//!
//! Every node's value is the logit of its Laplace-smoothed positive share,
//! `ln((positives + 1) / (negatives + 1))`. A prediction's intercept is the
//! root's value, and each split on the path adds the change from the parent's
//! value to the child's to the contribution of the split's feature, so the
//! contributions add up, with the intercept, to the leaf's logit. Features
//! off the path contribute 0.

use rapport_core::ScoreError;
use rapport_core::scoring::{
    Factor, Frame, Prediction, ResolvedLabel, Row, TrainSpec, TrainStats, Value,
};
use rapport_trees::{Binner, GrowConfig, SplitLimits, Stats, Tree, grow};
use serde::{Deserialize, Serialize};

use crate::params::TreeParams;
use crate::rules::{LeafRule, leaf_rules};

/// A fitted decision-tree scorer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeModel {
    label: ResolvedLabel,
    binner: Binner,
    params: TreeParams,
    tree: Tree,
    stats: TrainStats,
}

/// The logit of a node's Laplace-smoothed positive share (`g` positives of `h` rows).
fn node_logit(s: Stats) -> f64 {
    ((s.g + 1.0) / (s.h - s.g + 1.0)).ln()
}

impl TreeModel {
    /// Fits the tree on every row of `frame`.
    pub fn fit(frame: &Frame, spec: &TrainSpec, params: &TreeParams) -> Result<Self, ScoreError> {
        let (label, y) = spec.labels(frame)?;
        let columns = spec.feature_columns(frame, &label)?;
        let binner = Binner::fit(frame, &columns, spec, params.max_bins, params.min_frequency)?;
        let data = binner.bin_frame(frame)?;
        let g: Vec<f64> = y.iter().map(|&p| f64::from(u8::from(p))).collect();
        let h = vec![1.0; y.len()];
        let config = GrowConfig {
            criterion: params.criterion,
            limits: SplitLimits {
                min_rows: params.min_samples_leaf.min(u32::MAX as usize) as u32,
                min_weight: 0.0,
                min_gain: 1e-9,
                category_smoothing: 0.0,
            },
            max_depth: params.max_depth,
            max_leaves: usize::MAX,
        };
        let mut tree = grow(
            &binner.layout(),
            &data,
            (0..y.len() as u32).collect(),
            &g,
            &h,
            &config,
        );
        tree.set_values(node_logit);
        let objective = tree
            .nodes
            .iter()
            .filter(|n| n.split.is_none())
            .map(|n| {
                let p = 1.0 / (1.0 + (-n.value).exp());
                -(n.stats.g * p.ln() + (n.stats.h - n.stats.g) * (1.0 - p).ln())
            })
            .sum();
        Ok(TreeModel {
            stats: TrainStats {
                rows: y.len(),
                positives: y.iter().filter(|&&p| p).count(),
                columns: binner.features().len(),
                objective,
            },
            label,
            binner,
            params: params.clone(),
            tree,
        })
    }

    /// Scores one customer, explained by its path (see the module doc).
    pub fn predict(&self, row: &dyn Row) -> Result<Prediction, ScoreError> {
        let bins = self.binner.bin_row(row, 0)?;
        let mut contributions = vec![0.0; bins.len()];
        let path = self.tree.path(|f| bins[f]);
        for pair in path.windows(2) {
            let (parent, child) = (&self.tree.nodes[pair[0]], &self.tree.nodes[pair[1]]);
            if let Some(split) = &parent.split {
                contributions[split.feature as usize] += child.value - parent.value;
            }
        }
        let factors = self
            .binner
            .features()
            .iter()
            .zip(contributions)
            .map(|(feature, contribution)| Factor {
                feature: feature.name.clone(),
                value: row.get(&feature.name).cloned().unwrap_or(Value::Missing),
                contribution,
            })
            .collect();
        Ok(Prediction::from_factors(self.tree.nodes[0].value, factors))
    }

    /// The rule of every leaf, in node order.
    pub fn rules(&self) -> Vec<LeafRule> {
        leaf_rules(&self.tree, &self.binner, &self.label)
    }

    /// The rule of the leaf a customer falls in.
    pub fn rule_of(&self, row: &dyn Row) -> Result<Option<LeafRule>, ScoreError> {
        let bins = self.binner.bin_row(row, 0)?;
        let leaf = self.tree.leaf(|f| bins[f]);
        Ok(self.rules().into_iter().find(|r| r.leaf == leaf))
    }

    /// The label this model predicts.
    pub fn label(&self) -> &ResolvedLabel {
        &self.label
    }

    /// Figures about the training run (objective: summed train log loss of the leaves).
    pub fn stats(&self) -> &TrainStats {
        &self.stats
    }

    /// The fitted tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The parameters it was trained with.
    pub fn params(&self) -> &TreeParams {
        &self.params
    }

    /// Refuses a tree that does not fit the features (bytes not written by `fit`).
    pub(crate) fn check(self) -> Result<Self, ScoreError> {
        self.tree
            .check(self.binner.features().len())
            .map_err(ScoreError::BadModelBytes)?;
        Ok(self)
    }
}
