//! Training parameters of the `gbdt` engine, checked against published specs.

use rapport_core::{ParamSpec, Params, ScoreError};
use serde::{Deserialize, Serialize};

/// Parameters of the boosted-trees engine, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    /// Shrinkage of every tree's leaf values.
    pub learning_rate: f64,
    /// Most trees; early stopping usually keeps fewer.
    pub max_trees: usize,
    /// Most leaves per tree.
    pub num_leaves: usize,
    /// Deepest level of a leaf.
    pub max_depth: usize,
    /// Fewest training rows in a leaf.
    pub min_data_in_leaf: usize,
    /// Smallest hessian sum in a leaf.
    pub min_child_weight: f64,
    /// L2 regularisation of leaf values.
    pub lambda_l2: f64,
    /// Share of the boosting rows each tree is grown on (1 = all).
    pub subsample: f64,
    /// Seed of the row subsampling.
    pub seed: u64,
    /// Most bins of a numeric feature's present values.
    pub max_bins: usize,
    /// Share of the training rows held out to choose the number of trees.
    pub validation_fraction: f64,
    /// Trees without a better validation loss before boosting stops.
    pub early_stopping_rounds: usize,
    /// Whether the chosen number of trees is grown again on every training row.
    pub refit: bool,
    /// Categorical levels rarer than this in train share one bin.
    pub min_frequency: usize,
    /// Hessian added when ordering categories for a partition split.
    pub category_smoothing: f64,
}

impl Default for GbdtParams {
    fn default() -> GbdtParams {
        GbdtParams {
            learning_rate: 0.05,
            max_trees: 1000,
            num_leaves: 15,
            max_depth: 6,
            min_data_in_leaf: 20,
            min_child_weight: 1e-3,
            lambda_l2: 1.0,
            subsample: 1.0,
            seed: 0,
            max_bins: 255,
            validation_fraction: 0.2,
            early_stopping_rounds: 50,
            refit: true,
            min_frequency: 5,
            category_smoothing: 10.0,
        }
    }
}

/// The specs of every parameter, with the defaults of [`GbdtParams::default`].
pub fn param_specs() -> Vec<ParamSpec> {
    let d = GbdtParams::default();
    let int = |name, value: usize, min, max, doc| ParamSpec::int(name, value as i64, min, max, doc);
    vec![
        ParamSpec::float(
            "learning_rate",
            d.learning_rate,
            1e-3,
            1.0,
            "shrinkage of every tree",
        ),
        int(
            "max_trees",
            d.max_trees,
            1,
            10_000,
            "most trees; early stopping on validation decides",
        ),
        int(
            "num_leaves",
            d.num_leaves,
            2,
            1024,
            "most leaves per tree (grown best split first)",
        ),
        int("max_depth", d.max_depth, 1, 32, "deepest level of a leaf"),
        int(
            "min_data_in_leaf",
            d.min_data_in_leaf,
            1,
            1_000_000,
            "fewest training rows in a leaf",
        ),
        ParamSpec::float(
            "min_child_weight",
            d.min_child_weight,
            0.0,
            1e6,
            "smallest hessian sum in a leaf",
        ),
        ParamSpec::float(
            "lambda_l2",
            d.lambda_l2,
            0.0,
            1e6,
            "L2 regularisation of leaf values",
        ),
        ParamSpec::float(
            "subsample",
            d.subsample,
            0.1,
            1.0,
            "share of the rows each tree is grown on (seeded)",
        ),
        int(
            "seed",
            d.seed as usize,
            0,
            i64::MAX,
            "seed of the row subsampling",
        ),
        int(
            "max_bins",
            d.max_bins,
            2,
            1024,
            "most quantile bins per numeric feature",
        ),
        ParamSpec::float(
            "validation_fraction",
            d.validation_fraction,
            0.05,
            0.5,
            "share of the training rows (evenly spaced) held out for early stopping",
        ),
        int(
            "early_stopping_rounds",
            d.early_stopping_rounds,
            1,
            10_000,
            "trees without a better validation log loss before boosting stops",
        ),
        ParamSpec::bool(
            "refit",
            d.refit,
            "grow the number of trees chosen on validation again on every training row",
        ),
        int(
            "min_frequency",
            d.min_frequency,
            1,
            1_000_000,
            "categorical levels rarer than this in train share the \"(other)\" bin",
        ),
        ParamSpec::float(
            "category_smoothing",
            d.category_smoothing,
            0.0,
            1e6,
            "hessian added when ordering categories for a partition split",
        ),
    ]
}

impl GbdtParams {
    /// The defaults with the caller's overrides applied and checked.
    pub fn resolve(overrides: &Params) -> Result<GbdtParams, ScoreError> {
        let v = overrides.resolve(&param_specs())?;
        Ok(GbdtParams {
            learning_rate: v.float("learning_rate")?,
            max_trees: v.usize("max_trees")?,
            num_leaves: v.usize("num_leaves")?,
            max_depth: v.usize("max_depth")?,
            min_data_in_leaf: v.usize("min_data_in_leaf")?,
            min_child_weight: v.float("min_child_weight")?,
            lambda_l2: v.float("lambda_l2")?,
            subsample: v.float("subsample")?,
            seed: v.usize("seed")? as u64,
            max_bins: v.usize("max_bins")?,
            validation_fraction: v.float("validation_fraction")?,
            early_stopping_rounds: v.usize("early_stopping_rounds")?,
            refit: v.bool("refit")?,
            min_frequency: v.usize("min_frequency")?,
            category_smoothing: v.float("category_smoothing")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_refusals() {
        assert_eq!(
            GbdtParams::resolve(&Params::new()).unwrap(),
            GbdtParams::default()
        );
        let p = GbdtParams::resolve(&Params::new().with("num_leaves", 7).with("subsample", 0.5))
            .unwrap();
        assert_eq!((p.num_leaves, p.subsample), (7, 0.5));
        for (name, value) in [("learning_rate", "0"), ("num_leaves", "1"), ("c", "1")] {
            let err = GbdtParams::resolve(&Params::new().with(name, value)).unwrap_err();
            assert!(matches!(&err, ScoreError::InvalidParam { name: n, .. } if n == name));
        }
        let names: Vec<String> = param_specs().into_iter().map(|s| s.name).collect();
        assert_eq!(names.len(), 15);
    }
}
