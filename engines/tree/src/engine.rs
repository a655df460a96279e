//! The `tree` engine behind the `Scorer` trait.

use rapport_core::scoring::{Frame, Prediction, ResolvedLabel, Row, TrainSpec, TrainStats};
use rapport_core::{DataNeed, EngineDescription, Params, ScoreError, Scorer};

use crate::model::TreeModel;
use crate::params::{TreeParams, param_specs};

/// The decision-tree scorer.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecisionTree;

impl Scorer for DecisionTree {
    type Model = TreeModel;

    fn name(&self) -> &'static str {
        "tree"
    }

    fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: Scorer::name(self).to_owned(),
            summary: "one CART decision tree (Gini or entropy, depth-limited), explained by the \
                      path to the customer's leaf and a readable rule per leaf"
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
    ) -> Result<TreeModel, ScoreError> {
        TreeModel::fit(frame, spec, &TreeParams::resolve(params)?)
    }

    fn label<'m>(&self, model: &'m TreeModel) -> &'m ResolvedLabel {
        model.label()
    }

    fn stats<'m>(&self, model: &'m TreeModel) -> &'m TrainStats {
        model.stats()
    }

    fn predict(&self, model: &TreeModel, row: &dyn Row) -> Result<Prediction, ScoreError> {
        model.predict(row)
    }

    fn from_bytes(&self, bytes: &[u8]) -> Result<TreeModel, ScoreError> {
        rapport_core::engine::decode::<TreeModel>(Scorer::name(self), bytes)
            .map_err(ScoreError::BadModelBytes)?
            .check()
    }
}
