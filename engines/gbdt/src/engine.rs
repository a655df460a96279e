//! The `gbdt` engine behind the `Scorer` trait.

use rapport_core::scoring::{
    Frame, Prediction, ResolvedLabel, Row, TrainSpec, TrainStats, sigmoid,
};
use rapport_core::{DataNeed, EngineDescription, Params, ScoreError, Scorer};

use crate::model::GbdtModel;
use crate::params::{GbdtParams, param_specs};

/// The gradient-boosted trees scorer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gbdt;

impl Scorer for Gbdt {
    type Model = GbdtModel;

    fn name(&self) -> &'static str {
        "gbdt"
    }

    fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: Scorer::name(self).to_owned(),
            summary: "gradient-boosted histogram trees on log loss (native missing values and \
                      categories, early stopping on a validation part); TreeSHAP contributions"
                .to_owned(),
            params: param_specs(),
            needs: vec![DataNeed::CustomerAttributes, DataNeed::Interactions],
        }
    }

    fn fit(
        &self,
        frame: &Frame,
        spec: &TrainSpec,
        params: &Params,
    ) -> Result<GbdtModel, ScoreError> {
        GbdtModel::fit(frame, spec, &GbdtParams::resolve(params)?)
    }

    fn label<'m>(&self, model: &'m GbdtModel) -> &'m ResolvedLabel {
        model.label()
    }

    fn stats<'m>(&self, model: &'m GbdtModel) -> &'m TrainStats {
        model.stats()
    }

    fn predict(&self, model: &GbdtModel, row: &dyn Row) -> Result<Prediction, ScoreError> {
        model.predict(row)
    }

    /// The trees' sum without TreeSHAP, which costs far more.
    fn probabilities(&self, model: &GbdtModel, frame: &Frame) -> Result<Vec<f64>, ScoreError> {
        frame
            .iter()
            .enumerate()
            .map(|(i, row)| {
                model
                    .margin(&row)
                    .map(sigmoid)
                    .map_err(|e| e.map_row(|_| i))
            })
            .collect()
    }

    fn from_bytes(&self, bytes: &[u8]) -> Result<GbdtModel, ScoreError> {
        rapport_core::engine::decode::<GbdtModel>(Scorer::name(self), bytes)
            .map_err(ScoreError::BadModelBytes)?
            .check()
    }
}
