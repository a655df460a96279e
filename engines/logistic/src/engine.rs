//! The `logistic` engine behind the `Scorer` trait: its description, and
//! fitting, scoring and serialisation of [`LogisticModel`]s.

use rapport_core::scoring::{Frame, Prediction, ResolvedLabel, Row, TrainSpec, TrainStats};
use rapport_core::{DataNeed, EngineDescription, Params, ScoreError, Scorer};

use crate::model::LogisticModel;
use crate::params::{LogisticParams, param_specs};

/// The logistic regression scorer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Logistic;

impl Scorer for Logistic {
    type Model = LogisticModel;

    fn name(&self) -> &'static str {
        "logistic"
    }

    fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: Scorer::name(self).to_owned(),
            summary: "L2 logistic regression (linfa) on standardised numbers and one-hot \
                      categories; probability plus per-feature contributions on the logit scale"
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
    ) -> Result<LogisticModel, ScoreError> {
        LogisticModel::fit(frame, spec, &LogisticParams::resolve(params)?)
    }

    fn label<'m>(&self, model: &'m LogisticModel) -> &'m ResolvedLabel {
        model.label()
    }

    fn stats<'m>(&self, model: &'m LogisticModel) -> &'m TrainStats {
        model.stats()
    }

    fn predict(&self, model: &LogisticModel, row: &dyn Row) -> Result<Prediction, ScoreError> {
        model.predict(row)
    }

    fn from_bytes(&self, bytes: &[u8]) -> Result<LogisticModel, ScoreError> {
        rapport_core::engine::decode::<LogisticModel>(Scorer::name(self), bytes)
            .map_err(ScoreError::BadModelBytes)?
            .check()
    }
}

#[cfg(test)]
mod tests {
    use rapport_core::DynScorer;
    use rapport_core::scoring::eval::{accuracy, evaluate, log_loss, roc_auc};
    use rapport_core::scoring::{LabelSpec, Value};
    use rapport_core::table::{TableOptions, read_table};

    use super::*;

    /// 30 customers; `plan` and `tickets` drive `churn`, with a few exceptions.
    fn frame() -> Frame {
        let mut text = String::from("id,plan,tickets,spend,churn\n");
        for i in 0..30 {
            let plan = ["basic", "pro", "team"][i % 3];
            let tickets = (i * 7) % 5;
            let spend = if i % 8 == 6 {
                String::new()
            } else {
                format!("{}.5", 10 + i)
            };
            let churn = (plan == "basic" || tickets >= 3) != (i % 13 == 4);
            let churn = if churn { "Yes" } else { "No" };
            text.push_str(&format!("c{i},{plan},{tickets},{spend},{churn}\n"));
        }
        let table = read_table(text.as_bytes(), &TableOptions::default()).unwrap();
        let rows = table
            .rows
            .iter()
            .map(|r| r.fields.iter().map(|c| Value::from_cell(c)).collect())
            .collect();
        Frame::new(table.header.unwrap(), rows).unwrap()
    }

    fn spec() -> TrainSpec {
        let mut spec = TrainSpec::new(LabelSpec::parse("churn=Yes").unwrap());
        spec.exclude.push("id".into());
        spec
    }

    #[test]
    fn description_names_the_engine_its_params_and_needs() {
        let description = Scorer::describe(&Logistic);
        assert_eq!(description.name, "logistic");
        let names: Vec<&str> = description.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "c",
                "class_weight",
                "positive_weight",
                "max_iterations",
                "tolerance",
                "min_frequency"
            ]
        );
        assert_eq!(
            description.needs,
            [DataNeed::CustomerAttributes, DataNeed::Interactions]
        );
    }

    #[test]
    fn the_protocol_matches_the_metrics_of_its_predictions() {
        let frame = frame();
        let report = evaluate(&Logistic, &frame, &spec(), &Params::new()).unwrap();
        assert_eq!(report.engine, "logistic");
        assert_eq!((report.train_rows, report.test_rows), (24, 6));
        let test: Vec<usize> = (0..30).filter(|i| i % 5 == 4).collect();
        let train: Vec<usize> = (0..30).filter(|i| i % 5 != 4).collect();
        let params = LogisticParams::default();
        let model = LogisticModel::fit(&frame.select_rows(&train), &spec(), &params).unwrap();
        let p: Vec<f64> = Scorer::predict_frame(&Logistic, &model, &frame.select_rows(&test))
            .unwrap()
            .iter()
            .map(|p| p.probability)
            .collect();
        // Every test row churns but row 4 (the i % 13 == 4 exception).
        let y: Vec<bool> = test.iter().map(|&i| i != 4).collect();
        assert_eq!(report.log_loss, log_loss(&p, &y).unwrap());
        assert_eq!(report.roc_auc, roc_auc(&p, &y));
        assert_eq!(report.accuracy, accuracy(&p, &y, 0.5).unwrap());
        assert_eq!(report.objective, model.stats().objective);
    }

    #[test]
    fn bad_parameters_are_the_callers_and_models_round_trip_as_dyn() {
        let scorer: &dyn DynScorer = &Logistic;
        let bad = Params::new().with("c", -1);
        let err = scorer.fit(&frame(), &spec(), &bad).unwrap_err();
        assert!(matches!(&err, ScoreError::InvalidParam { name, .. } if name == "c"));
        let model = scorer.fit(&frame(), &spec(), &Params::new()).unwrap();
        let back = scorer
            .from_bytes(&scorer.to_bytes(&model).unwrap())
            .unwrap();
        assert_eq!(back.label(), model.label());
        assert_eq!(
            scorer.predict_frame(&back, &frame()).unwrap(),
            scorer.predict_frame(&model, &frame()).unwrap()
        );
    }
}
