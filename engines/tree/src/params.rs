//! Training parameters of the `tree` engine, checked against published specs.

use rapport_core::{ParamSpec, Params, ScoreError};
use rapport_trees::Criterion;
use serde::{Deserialize, Serialize};

/// Parameters of the decision-tree engine, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeParams {
    /// Gini impurity or entropy (log loss).
    pub criterion: Criterion,
    /// Deepest level of a leaf.
    pub max_depth: usize,
    /// Fewest training rows in a leaf.
    pub min_samples_leaf: usize,
    /// Most bins of a numeric feature's present values.
    pub max_bins: usize,
    /// Categorical levels rarer than this in train share one bin.
    pub min_frequency: usize,
}

impl Default for TreeParams {
    fn default() -> TreeParams {
        TreeParams {
            criterion: Criterion::Gini,
            max_depth: 5,
            min_samples_leaf: 20,
            max_bins: 255,
            min_frequency: 5,
        }
    }
}

/// The specs of every parameter, with the defaults of [`TreeParams::default`].
pub fn param_specs() -> Vec<ParamSpec> {
    let d = TreeParams::default();
    vec![
        ParamSpec::choice(
            "criterion",
            "gini",
            &["gini", "entropy"],
            "split quality: Gini impurity or entropy (log loss)",
        ),
        ParamSpec::int(
            "max_depth",
            d.max_depth as i64,
            1,
            32,
            "deepest level of a leaf",
        ),
        ParamSpec::int(
            "min_samples_leaf",
            d.min_samples_leaf as i64,
            1,
            1_000_000,
            "fewest training rows in a leaf",
        ),
        ParamSpec::int(
            "max_bins",
            d.max_bins as i64,
            2,
            1024,
            "most quantile bins per numeric feature",
        ),
        ParamSpec::int(
            "min_frequency",
            d.min_frequency as i64,
            1,
            1_000_000,
            "categorical levels rarer than this in train share the \"(other)\" bin",
        ),
    ]
}

impl TreeParams {
    /// The defaults with the caller's overrides applied and checked.
    pub fn resolve(overrides: &Params) -> Result<TreeParams, ScoreError> {
        let v = overrides.resolve(&param_specs())?;
        Ok(TreeParams {
            criterion: match v.text("criterion")? {
                "entropy" => Criterion::Entropy,
                _ => Criterion::Gini,
            },
            max_depth: v.usize("max_depth")?,
            min_samples_leaf: v.usize("min_samples_leaf")?,
            max_bins: v.usize("max_bins")?,
            min_frequency: v.usize("min_frequency")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_refusals() {
        assert_eq!(
            TreeParams::resolve(&Params::new()).unwrap(),
            TreeParams::default()
        );
        let p = TreeParams::resolve(
            &Params::new()
                .with("criterion", "entropy")
                .with("max_depth", 2),
        )
        .unwrap();
        assert_eq!((p.criterion, p.max_depth), (Criterion::Entropy, 2));
        for (name, value) in [("criterion", "chaos"), ("max_depth", "0"), ("c", "1")] {
            let err = TreeParams::resolve(&Params::new().with(name, value)).unwrap_err();
            assert!(matches!(&err, ScoreError::InvalidParam { name: n, .. } if n == name));
        }
    }
}
