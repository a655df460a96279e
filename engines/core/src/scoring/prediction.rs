//! A scorer's output: a probability and why, as per-feature contributions on
//! the log-odds scale that add up, with the intercept, to the score.

use serde::{Deserialize, Serialize};

use super::frame::Value;

/// One original feature's share of a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The input column.
    pub feature: String,
    /// The raw value the customer has (missing when absent).
    pub value: Value,
    /// Its contribution to the logit (for a linear model: the sum over the
    /// feature's model columns of coefficient x encoded value).
    pub contribution: f64,
}

/// A probability and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Probability of the positive class.
    pub probability: f64,
    /// `intercept + sum of contributions`.
    pub logit: f64,
    /// The model's intercept (base score), including any class-weight correction.
    pub intercept: f64,
    /// One factor per original feature, largest absolute contribution first.
    pub factors: Vec<Factor>,
}

impl Prediction {
    /// The prediction of a model whose logit is `intercept` plus the factors'
    /// contributions: factors ranked by absolute contribution (ties by name),
    /// the logit summed and turned into a probability.
    pub fn from_factors(intercept: f64, mut factors: Vec<Factor>) -> Prediction {
        factors.sort_by(|a, b| {
            b.contribution
                .abs()
                .total_cmp(&a.contribution.abs())
                .then_with(|| a.feature.cmp(&b.feature))
        });
        let logit = intercept + factors.iter().map(|f| f.contribution).sum::<f64>();
        Prediction {
            probability: sigmoid(logit),
            logit,
            intercept,
            factors,
        }
    }
}

/// The logistic function, stable for large |z|.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factor(feature: &str, contribution: f64) -> Factor {
        Factor {
            feature: feature.into(),
            value: Value::Missing,
            contribution,
        }
    }

    #[test]
    fn sigmoid_is_symmetric_and_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-15);
        assert!(sigmoid(-800.0) >= 0.0 && sigmoid(800.0) <= 1.0);
    }

    #[test]
    fn factors_are_ranked_and_add_up_to_the_logit() {
        let p = Prediction::from_factors(
            -1.0,
            vec![factor("b", 0.5), factor("c", -2.0), factor("a", 0.5)],
        );
        let names: Vec<&str> = p.factors.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(names, ["c", "a", "b"]);
        assert_eq!(p.logit, -2.0);
        assert_eq!(p.intercept, -1.0);
        assert_eq!(p.probability, sigmoid(-2.0));
    }
}
