//! The `Scorer` trait every scoring engine implements (customer rows in, a
//! probability with per-feature factors out), and its object-safe form used
//! by registries.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engine::{self, EngineDescription, FittedModel};
use crate::params::Params;
use crate::scoring::{Frame, Prediction, ResolvedLabel, Row, ScoreError, TrainSpec, TrainStats};

/// A scoring engine: learns a binary label from a table of customers and
/// scores any customer row, explaining each probability feature by feature.
pub trait Scorer: Send + Sync {
    /// The fitted state, including whatever turns raw values into inputs.
    type Model: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The registry name.
    fn name(&self) -> &'static str;

    /// Name, summary, parameters and data needs.
    fn describe(&self) -> EngineDescription;

    /// Fits a model on every row of `frame`; parameters are validated
    /// against `describe().params`. Errors about a row name its index in `frame`.
    fn fit(
        &self,
        frame: &Frame,
        spec: &TrainSpec,
        params: &Params,
    ) -> Result<Self::Model, ScoreError>;

    /// The label a model predicts, with its positive class.
    fn label<'m>(&self, model: &'m Self::Model) -> &'m ResolvedLabel;

    /// Figures about the run that fitted a model.
    fn stats<'m>(&self, model: &'m Self::Model) -> &'m TrainStats;

    /// Scores one customer; columns the row lacks count as missing.
    fn predict(&self, model: &Self::Model, row: &dyn Row) -> Result<Prediction, ScoreError>;

    /// Scores every row of a frame, in order; errors name the row's index.
    fn predict_frame(
        &self,
        model: &Self::Model,
        frame: &Frame,
    ) -> Result<Vec<Prediction>, ScoreError> {
        frame
            .iter()
            .enumerate()
            .map(|(i, row)| self.predict(model, &row).map_err(|e| e.map_row(|_| i)))
            .collect()
    }

    /// The probability of every row of a frame, in order, without the
    /// explanations (what assessment asks for many times over); errors name
    /// the row's index. Engines whose explanations cost more than their
    /// scores (TreeSHAP) override it.
    fn probabilities(&self, model: &Self::Model, frame: &Frame) -> Result<Vec<f64>, ScoreError> {
        Ok(self
            .predict_frame(model, frame)?
            .iter()
            .map(|p| p.probability)
            .collect())
    }

    /// Encodes a model as compact bytes (postcard) behind the engine's name.
    fn to_bytes(&self, model: &Self::Model) -> Result<Vec<u8>, ScoreError> {
        engine::encode(self.name(), model).map_err(ScoreError::Serialise)
    }

    /// Decodes bytes made by [`Scorer::to_bytes`] of the same engine.
    // `&self` names the engine whose model the bytes must hold.
    #[allow(clippy::wrong_self_convention)]
    fn from_bytes(&self, bytes: &[u8]) -> Result<Self::Model, ScoreError> {
        engine::decode(self.name(), bytes).map_err(ScoreError::BadModelBytes)
    }
}

/// A fitted scoring model of any engine, with the label it predicts and the
/// figures of its training run at hand.
#[derive(Debug)]
pub struct FittedScorer {
    model: FittedModel,
    label: ResolvedLabel,
    stats: TrainStats,
}

impl FittedScorer {
    /// The name of the engine that fitted it.
    pub fn engine(&self) -> &'static str {
        self.model.engine()
    }

    /// The label it predicts.
    pub fn label(&self) -> &ResolvedLabel {
        &self.label
    }

    /// Figures about its training run.
    pub fn stats(&self) -> &TrainStats {
        &self.stats
    }

    /// The engine's own model, when it is an `M`: for what only one engine
    /// offers (a tree's rules, say).
    pub fn model<M: std::any::Any>(&self) -> Option<&M> {
        self.model.downcast::<M>(self.model.engine()).ok()
    }
}

/// The object-safe form of [`Scorer`], implemented for every scorer, so
/// scorers can be chosen by name at run time.
pub trait DynScorer: Send + Sync {
    /// See [`Scorer::name`].
    fn name(&self) -> &'static str;
    /// See [`Scorer::describe`].
    fn describe(&self) -> EngineDescription;
    /// See [`Scorer::fit`].
    fn fit(
        &self,
        frame: &Frame,
        spec: &TrainSpec,
        params: &Params,
    ) -> Result<FittedScorer, ScoreError>;
    /// See [`Scorer::predict`].
    fn predict(&self, model: &FittedScorer, row: &dyn Row) -> Result<Prediction, ScoreError>;
    /// See [`Scorer::predict_frame`].
    fn predict_frame(
        &self,
        model: &FittedScorer,
        frame: &Frame,
    ) -> Result<Vec<Prediction>, ScoreError>;
    /// See [`Scorer::probabilities`].
    fn probabilities(&self, model: &FittedScorer, frame: &Frame) -> Result<Vec<f64>, ScoreError>;
    /// See [`Scorer::to_bytes`].
    fn to_bytes(&self, model: &FittedScorer) -> Result<Vec<u8>, ScoreError>;
    /// See [`Scorer::from_bytes`].
    #[allow(clippy::wrong_self_convention)]
    fn from_bytes(&self, bytes: &[u8]) -> Result<FittedScorer, ScoreError>;
}

fn downcast<'m, S: Scorer>(
    scorer: &S,
    model: &'m FittedScorer,
) -> Result<&'m S::Model, ScoreError> {
    model
        .model
        .downcast(Scorer::name(scorer))
        .map_err(ScoreError::Internal)
}

fn boxed<S: Scorer>(scorer: &S, model: S::Model) -> FittedScorer {
    FittedScorer {
        label: Scorer::label(scorer, &model).clone(),
        stats: Scorer::stats(scorer, &model).clone(),
        model: FittedModel::new(Scorer::name(scorer), model),
    }
}

impl<S: Scorer> DynScorer for S {
    fn name(&self) -> &'static str {
        Scorer::name(self)
    }

    fn describe(&self) -> EngineDescription {
        Scorer::describe(self)
    }

    fn fit(
        &self,
        frame: &Frame,
        spec: &TrainSpec,
        params: &Params,
    ) -> Result<FittedScorer, ScoreError> {
        let model = Scorer::fit(self, frame, spec, params)?;
        Ok(boxed(self, model))
    }

    fn predict(&self, model: &FittedScorer, row: &dyn Row) -> Result<Prediction, ScoreError> {
        Scorer::predict(self, downcast(self, model)?, row)
    }

    fn predict_frame(
        &self,
        model: &FittedScorer,
        frame: &Frame,
    ) -> Result<Vec<Prediction>, ScoreError> {
        Scorer::predict_frame(self, downcast(self, model)?, frame)
    }

    fn probabilities(&self, model: &FittedScorer, frame: &Frame) -> Result<Vec<f64>, ScoreError> {
        Scorer::probabilities(self, downcast(self, model)?, frame)
    }

    fn to_bytes(&self, model: &FittedScorer) -> Result<Vec<u8>, ScoreError> {
        Scorer::to_bytes(self, downcast(self, model)?)
    }

    fn from_bytes(&self, bytes: &[u8]) -> Result<FittedScorer, ScoreError> {
        let model = Scorer::from_bytes(self, bytes)?;
        Ok(boxed(self, model))
    }
}

/// A scorer for the trait's own tests: the train share of positives, with
/// one factor per numeric column (its value times a tenth).
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::DataNeed;
    use crate::params::ParamSpec;
    use crate::scoring::{Factor, LabelSpec, Value, sigmoid};

    /// Fitted state of [`Prior`].
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub(crate) struct PriorModel {
        label: ResolvedLabel,
        stats: TrainStats,
        logit: f64,
        numbers: Vec<String>,
    }

    /// The test scorer.
    pub(crate) struct Prior(pub &'static str);

    impl Scorer for Prior {
        type Model = PriorModel;

        fn name(&self) -> &'static str {
            self.0
        }

        fn describe(&self) -> EngineDescription {
            EngineDescription {
                name: self.0.into(),
                summary: "test".into(),
                params: vec![ParamSpec::float(
                    "shift",
                    0.0,
                    -5.0,
                    5.0,
                    "added to the logit",
                )],
                needs: vec![DataNeed::CustomerAttributes],
            }
        }

        fn fit(
            &self,
            frame: &Frame,
            spec: &TrainSpec,
            params: &Params,
        ) -> Result<PriorModel, ScoreError> {
            let shift = params
                .resolve(&Scorer::describe(self).params)?
                .float("shift")?;
            let index = frame
                .column_index(&spec.label.column)
                .ok_or_else(|| ScoreError::UnknownColumn(spec.label.column.clone()))?;
            let label = spec
                .label
                .resolve((0..frame.len()).filter_map(|i| frame.row_values(i)?.get(index)))?;
            let y = frame
                .iter()
                .enumerate()
                .map(|(i, row)| label.of_row(&row, i))
                .collect::<Result<Vec<bool>, _>>()?;
            let positives = y.iter().filter(|&&p| p).count();
            let share = (positives as f64 + 0.5) / (y.len() as f64 + 1.0);
            let numbers: Vec<String> = frame
                .columns()
                .iter()
                .filter(|c| **c != label.column && !spec.exclude.contains(c))
                .cloned()
                .collect();
            Ok(PriorModel {
                stats: TrainStats {
                    rows: y.len(),
                    positives,
                    columns: numbers.len(),
                    objective: 0.0,
                },
                label,
                logit: (share / (1.0 - share)).ln() + shift,
                numbers,
            })
        }

        fn label<'m>(&self, model: &'m PriorModel) -> &'m ResolvedLabel {
            &model.label
        }

        fn stats<'m>(&self, model: &'m PriorModel) -> &'m TrainStats {
            &model.stats
        }

        fn predict(&self, model: &PriorModel, row: &dyn Row) -> Result<Prediction, ScoreError> {
            let factors = model
                .numbers
                .iter()
                .map(|name| {
                    let value = row.get(name).cloned().unwrap_or(Value::Missing);
                    let contribution = match value {
                        Value::Missing => 0.0,
                        ref v => {
                            v.as_number().ok_or_else(|| ScoreError::NotNumeric {
                                column: name.clone(),
                                row: 0,
                                value: v.to_string(),
                            })? / 10.0
                        }
                    };
                    Ok(Factor {
                        feature: name.clone(),
                        value,
                        contribution,
                    })
                })
                .collect::<Result<Vec<_>, ScoreError>>()?;
            Ok(Prediction::from_factors(model.logit, factors))
        }
    }

    /// Ten rows: `x` is the row number, `y` is `Yes` on rows 1, 3, 4 and 8.
    pub(crate) fn frame() -> Frame {
        let rows = (0..10)
            .map(|i| {
                let y = if [1, 3, 4, 8].contains(&i) {
                    "Yes"
                } else {
                    "No"
                };
                vec![Value::Number(f64::from(i)), Value::Text(y.into())]
            })
            .collect();
        Frame::new(vec!["x".into(), "y".into()], rows).unwrap()
    }

    #[test]
    fn dyn_fit_predict_round_trip_and_engine_mismatch() {
        let a: &dyn DynScorer = &Prior("a");
        let b: &dyn DynScorer = &Prior("b");
        let spec = TrainSpec::new(LabelSpec::rule("y", "Yes"));
        let model = a.fit(&frame(), &spec, &Params::new()).unwrap();
        assert_eq!(model.engine(), "a");
        assert_eq!(model.label().positive, "Yes");
        assert_eq!((model.stats().rows, model.stats().positives), (10, 4));
        let predictions = a.predict_frame(&model, &frame()).unwrap();
        assert!((predictions[3].factors[0].contribution - 0.3).abs() < 1e-12);
        assert_eq!(predictions[0].probability, sigmoid(predictions[0].logit));
        let bytes = a.to_bytes(&model).unwrap();
        let back = a.from_bytes(&bytes).unwrap();
        assert_eq!(a.predict_frame(&back, &frame()).unwrap(), predictions);
        assert!(matches!(
            b.from_bytes(&bytes),
            Err(ScoreError::BadModelBytes(_))
        ));
        assert!(matches!(
            b.predict(&model, &frame().row(0).unwrap()),
            Err(ScoreError::Internal(_))
        ));
        let bad = Params::new().with("shift", 9);
        assert!(matches!(
            a.fit(&frame(), &spec, &bad),
            Err(ScoreError::InvalidParam { .. })
        ));
    }

    #[test]
    fn predict_frame_names_the_row_of_an_error() {
        let spec = TrainSpec::new(LabelSpec::rule("y", "Yes"));
        let model = Scorer::fit(&Prior("a"), &frame(), &spec, &Params::new()).unwrap();
        let mut rows: Vec<Vec<Value>> = (0..10)
            .map(|i| frame().row_values(i).unwrap().to_vec())
            .collect();
        rows[6][0] = Value::Text("six".into());
        let odd = Frame::new(vec!["x".into(), "y".into()], rows).unwrap();
        let err = Scorer::predict_frame(&Prior("a"), &model, &odd).unwrap_err();
        assert!(
            matches!(err, ScoreError::NotNumeric { row: 6, .. }),
            "{err}"
        );
    }
}
