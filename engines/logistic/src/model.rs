//! The logistic model: fitting with linfa, and scoring with per-feature
//! explanations (coefficient times standardised value, on the logit scale).

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use rapport_core::ScoreError;
use rapport_core::scoring::{
    Factor, Frame, Prediction, ResolvedLabel, Row, TrainSpec, TrainStats, Value,
};
use serde::{Deserialize, Serialize};

use crate::params::LogisticParams;
use crate::pipeline::Pipeline;

/// A fitted scorer: pipeline, coefficients and intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    pipeline: Pipeline,
    label: ResolvedLabel,
    params: LogisticParams,
    coefficients: Vec<f64>,
    intercept: f64,
    stats: TrainStats,
}

impl LogisticModel {
    /// Fits the pipeline and the regression on every row of `frame`.
    pub fn fit(
        frame: &Frame,
        spec: &TrainSpec,
        params: &LogisticParams,
    ) -> Result<Self, ScoreError> {
        let (label, y) = spec.labels(frame)?;
        let y = Array1::from(y);
        let positives = y.iter().filter(|&&p| p).count();
        let columns = spec.feature_columns(frame, &label)?;
        let pipeline = Pipeline::fit(frame, &columns, &spec.kinds, params.min_frequency)?;
        let x = pipeline.transform_frame(frame)?;
        let (coefficients, intercept) = solve(&x, &y, params)?;
        let objective = objective(&x, &y, &coefficients, intercept, params.alpha());
        let shift = params.intercept_shift(positives, y.len() - positives);
        Ok(LogisticModel {
            stats: TrainStats {
                rows: y.len(),
                positives,
                columns: pipeline.width(),
                objective,
            },
            pipeline,
            label,
            params: params.clone(),
            coefficients: coefficients.to_vec(),
            intercept: intercept + shift,
        })
    }

    /// Scores one customer; columns the row lacks count as missing.
    pub fn predict(&self, row: &dyn Row) -> Result<Prediction, ScoreError> {
        let mut x = vec![0.0; self.pipeline.width()];
        self.pipeline.transform_row(row, 0, &mut x)?;
        let factors = self
            .pipeline
            .features()
            .iter()
            .map(|feature| {
                let columns = feature.offset..feature.offset + feature.width();
                let contribution = self.coefficients[columns.clone()]
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
        Ok(Prediction::from_factors(self.intercept, factors))
    }

    /// The label this model predicts.
    pub fn label(&self) -> &ResolvedLabel {
        &self.label
    }

    /// The fitted feature pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The parameters it was trained with.
    pub fn params(&self) -> &LogisticParams {
        &self.params
    }

    /// One coefficient per model column (see [`Pipeline::column_names`]).
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The intercept, including any class-weight correction.
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// Figures about the training run.
    pub fn stats(&self) -> &TrainStats {
        &self.stats
    }

    /// Refuses a model whose coefficients do not match its pipeline (bytes
    /// that decode but were not written by this engine's `fit`).
    pub(crate) fn check(self) -> Result<Self, ScoreError> {
        if self.coefficients.len() != self.pipeline.width() {
            return Err(ScoreError::BadModelBytes(
                "coefficient count does not match the pipeline".to_owned(),
            ));
        }
        Ok(self)
    }
}

/// Runs linfa's L-BFGS; returns coefficients and intercept oriented so that a
/// positive logit means the positive class.
fn solve(
    x: &Array2<f64>,
    y: &Array1<bool>,
    params: &LogisticParams,
) -> Result<(Array1<f64>, f64), ScoreError> {
    let dataset = DatasetBase::new(x.view(), y.view());
    let fitted = LogisticRegression::default()
        .alpha(params.alpha())
        .max_iterations(params.max_iterations)
        // The tolerance is on the gradient of the mean loss (as scikit-learn's
        // `tol`); linfa's objective is the sum, so its gradient is n times larger.
        .gradient_tolerance(params.tolerance * x.nrows() as f64)
        .fit(&dataset)
        .map_err(|e| ScoreError::Solver(e.to_string()))?;
    // linfa labels the more frequent class as its "positive" one.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    Ok((fitted.params() * sign, fitted.intercept() * sign))
}

/// `sum_i -ln sigmoid(s_i z_i) + alpha / 2 * ||w||^2` with `s_i = +-1`.
fn objective(x: &Array2<f64>, y: &Array1<bool>, w: &Array1<f64>, b: f64, alpha: f64) -> f64 {
    let z = x.dot(w) + b;
    let loss: f64 = z
        .iter()
        .zip(y)
        .map(|(&z, &positive)| {
            let margin = if positive { z } else { -z };
            // -ln sigmoid(m) = ln(1 + e^-m), computed without overflow.
            (-margin).max(0.0) + (-margin.abs()).exp().ln_1p()
        })
        .sum();
    loss + 0.5 * alpha * w.dot(w)
}

#[cfg(test)]
mod tests {
    use rapport_core::scoring::{LabelSpec, Value};

    use super::*;

    #[test]
    fn check_refuses_coefficients_that_do_not_fit_the_pipeline() {
        let rows = (0..10)
            .map(|i| vec![Value::Number(f64::from(i)), Value::Bool(i % 3 == 0)])
            .collect();
        let frame = Frame::new(vec!["x".into(), "y".into()], rows).unwrap();
        let spec = TrainSpec::new(LabelSpec::rule("y", "true"));
        let model = LogisticModel::fit(&frame, &spec, &LogisticParams::default()).unwrap();
        let mut mangled = model.clone().check().unwrap();
        mangled.coefficients.pop();
        let err = mangled.check().unwrap_err();
        assert!(err.to_string().contains("coefficient count"), "{err}");
    }
}
