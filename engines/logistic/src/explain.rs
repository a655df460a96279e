//! Predictions with their explanation: per original feature, the coefficient
//! times the standardised value on the logit scale.

use serde::{Deserialize, Serialize};

use crate::pipeline::Pipeline;
use crate::value::{Row, Value};

/// One original feature's share of a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The input column.
    pub feature: String,
    /// The raw value the customer has (missing when absent).
    pub value: Value,
    /// Its contribution to the logit: the sum over the feature's model columns
    /// (one-hot levels, missing indicator) of coefficient x encoded value.
    pub contribution: f64,
}

/// A probability and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Probability of the positive class.
    pub probability: f64,
    /// `intercept + sum of contributions`.
    pub logit: f64,
    /// The model's intercept (including any class-weight correction).
    pub intercept: f64,
    /// One factor per original feature, largest absolute contribution first.
    pub factors: Vec<Factor>,
}

/// Builds the prediction for one encoded row `x` of the raw row `row`.
pub(crate) fn explain(
    pipeline: &Pipeline,
    coefficients: &[f64],
    intercept: f64,
    row: &impl Row,
    x: &[f64],
) -> Prediction {
    let mut factors: Vec<Factor> = pipeline
        .features()
        .iter()
        .map(|feature| {
            let columns = feature.offset..feature.offset + feature.width();
            let contribution = coefficients[columns.clone()]
                .iter()
                .zip(&x[columns])
                .map(|(w, v)| w * v)
                .sum();
            Factor {
                feature: feature.name.clone(),
                value: row.get(&feature.name).cloned().unwrap_or(Value::Missing),
                contribution,
            }
        })
        .collect();
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
    use super::sigmoid;

    #[test]
    fn sigmoid_is_symmetric_and_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-15);
        assert!(sigmoid(-800.0) >= 0.0 && sigmoid(800.0) <= 1.0);
    }
}
