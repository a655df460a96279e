//! Training parameters, checked against published specs (the same
//! `ParamSpec` and `Params` types as every engine).

use rapport_core::{ParamSpec, Params, ScoreError};
use serde::{Deserialize, Serialize};

/// How the two classes are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Both classes count the same.
    None,
    /// Each class weighted inversely to its train frequency.
    Balanced,
}

/// Parameters of the logistic engine, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticParams {
    /// Inverse L2 strength, as scikit-learn's `C`: the objective is
    /// `C * sum(log loss) + 0.5 * ||w||^2`, i.e. linfa's `alpha = 1 / C`.
    pub c: f64,
    /// Class weighting for imbalanced labels.
    pub class_weight: ClassWeight,
    /// Extra weight of the positive class (1 = none), on top of `class_weight`.
    pub positive_weight: f64,
    /// Maximum L-BFGS iterations.
    pub max_iterations: u64,
    /// Norm of the mean-loss gradient at which L-BFGS stops.
    pub tolerance: f64,
    /// Categorical levels seen fewer times in train go to the "other" bucket.
    pub min_frequency: usize,
}

impl Default for LogisticParams {
    fn default() -> LogisticParams {
        LogisticParams {
            c: 1.0,
            class_weight: ClassWeight::None,
            positive_weight: 1.0,
            max_iterations: 500,
            tolerance: 1e-5,
            min_frequency: 5,
        }
    }
}

/// The specs of every parameter, with the defaults of [`LogisticParams::default`].
pub fn param_specs() -> Vec<ParamSpec> {
    let d = LogisticParams::default();
    vec![
        ParamSpec::float(
            "c",
            d.c,
            1e-6,
            1e6,
            "inverse L2 strength as scikit-learn's C (linfa alpha = 1/C)",
        ),
        ParamSpec::choice(
            "class_weight",
            "none",
            &["none", "balanced"],
            "balanced weighs each class inversely to its frequency (intercept prior correction)",
        ),
        ParamSpec::float(
            "positive_weight",
            d.positive_weight,
            1e-3,
            1e3,
            "extra weight of the positive class (intercept prior correction)",
        ),
        ParamSpec::int(
            "max_iterations",
            d.max_iterations as i64,
            1,
            100_000,
            "maximum L-BFGS iterations",
        ),
        ParamSpec::float(
            "tolerance",
            d.tolerance,
            1e-12,
            1.0,
            "norm of the mean-loss gradient at which L-BFGS stops",
        ),
        ParamSpec::int(
            "min_frequency",
            d.min_frequency as i64,
            1,
            1_000_000,
            "categorical levels rarer than this in train share the \"(other)\" column",
        ),
    ]
}

impl LogisticParams {
    /// The defaults with the caller's overrides applied and checked.
    pub fn resolve(overrides: &Params) -> Result<LogisticParams, ScoreError> {
        let v = overrides.resolve(&param_specs())?;
        Ok(LogisticParams {
            c: v.float("c")?,
            class_weight: match v.text("class_weight")? {
                "balanced" => ClassWeight::Balanced,
                _ => ClassWeight::None,
            },
            positive_weight: v.float("positive_weight")?,
            max_iterations: v.usize("max_iterations")? as u64,
            tolerance: v.float("tolerance")?,
            min_frequency: v.usize("min_frequency")?,
        })
    }

    /// linfa-logistic's `alpha` for this `C`.
    pub fn alpha(&self) -> f64 {
        1.0 / self.c
    }

    /// `ln(w_pos / w_neg)` for the train class counts. linfa-logistic takes no
    /// sample weights, so class weights are applied as the prior correction of
    /// the intercept that weighting converges to for a well-specified logistic
    /// model (King and Zeng, 2001); coefficients are unchanged.
    pub fn intercept_shift(&self, positives: usize, negatives: usize) -> f64 {
        let balanced = match self.class_weight {
            ClassWeight::None => 0.0,
            ClassWeight::Balanced => (negatives as f64 / positives as f64).ln(),
        };
        balanced + self.positive_weight.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(pairs: &[(&str, &str)]) -> Result<LogisticParams, ScoreError> {
        let mut overrides = Params::new();
        for (name, value) in pairs {
            overrides.set(name, value);
        }
        LogisticParams::resolve(&overrides)
    }

    #[test]
    fn defaults_overrides_and_refusals() {
        assert_eq!(resolve(&[]).unwrap(), LogisticParams::default());
        let p = resolve(&[("c", "0.5"), ("class_weight", "balanced")]).unwrap();
        assert_eq!(p.c, 0.5);
        assert_eq!(p.alpha(), 2.0);
        assert_eq!(p.class_weight, ClassWeight::Balanced);
        for bad in [
            ("c", "0"),
            ("c", "abc"),
            ("class_weight", "heavy"),
            ("neighbours", "5"),
        ] {
            let err = resolve(&[bad]).unwrap_err();
            assert!(matches!(&err, ScoreError::InvalidParam { name, .. } if name == bad.0));
        }
    }

    #[test]
    fn class_weights_shift_by_log_ratios() {
        let mut p = LogisticParams::default();
        assert_eq!(p.intercept_shift(1, 3), 0.0);
        p.class_weight = ClassWeight::Balanced;
        assert!((p.intercept_shift(1, 3) - 3f64.ln()).abs() < 1e-12);
        p.positive_weight = 2.0;
        assert!((p.intercept_shift(1, 3) - 6f64.ln()).abs() < 1e-12);
    }
}
