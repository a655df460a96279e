//! Training a scorer: its service-level settings (label, features left
//! out, protected attributes, behaviour labels), the point-in-time frame of
//! a behaviour label, and the assessed fit ready to store.

use rapport_core::scoring::{BehaviourLabel, Frame, LabelSpec, TrainSpec, temporal_split};
use rapport_core::{DynScorer, Params};
use sea_orm::DatabaseConnection;

use super::catalogue::DEFAULT_LABEL;
use super::data::{self, FeatureRow};
use super::stored::StoredModel;
use super::train::{Outcome, RawParams, TrainError, refused, to_params};

/// A scorer's service-level settings and the engine's own parameters.
pub(super) struct ScorerSettings {
    /// `label`.
    label: LabelSpec,
    /// `exclude_features`: attributes the model must not use.
    exclude: Vec<String>,
    /// `protected`: attributes whose groups the fairness report compares.
    protected: Vec<String>,
    /// `within_days` or `inactive_days`: a label read from behaviour, with
    /// how many cutoffs to stack (`cutoffs`) and how far apart (`cutoff_every_days`).
    behaviour: Option<(BehaviourLabel, usize, u32)>,
    /// The rest: the engine's parameters.
    pub(super) params: Params,
}

/// Splits a scorer's raw parameters into [`ScorerSettings`].
pub(super) fn settings(raw: &RawParams) -> Result<ScorerSettings, TrainError> {
    let service = super::catalogue::scorer_service_params();
    let given: RawParams = raw
        .iter()
        .filter(|(name, _)| service.iter().any(|s| s.name == **name))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let values = to_params(&given).resolve(&service).map_err(refused)?;
    let behaviour = behaviour_label(raw, &values)?;
    let label = match &behaviour {
        Some(_) => LabelSpec::rule(data::BEHAVIOUR_LABEL_COLUMN, "Yes"),
        None => LabelSpec::parse(raw.get("label").map_or(DEFAULT_LABEL, String::as_str))
            .map_err(refused)?,
    };
    let list = |name: &str| -> Vec<String> {
        raw.get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (exclude, protected) = (list("exclude_features"), list("protected"));
    if let Some(column) = exclude.iter().find(|c| **c == label.column) {
        return Err(refused(format!(
            "`{column}` is the label; it cannot be an excluded feature"
        )));
    }
    let mut rest = raw.clone();
    for name in &service {
        rest.remove(&name.name);
    }
    Ok(ScorerSettings {
        label,
        exclude,
        protected,
        behaviour,
        params: to_params(&rest),
    })
}

/// The behaviour label the parameters ask for: `within_days` with `event`
/// (or `label`) naming an interaction kind (default `purchase`), or `inactive_days` with
/// the `kinds` that count as activity; none for an attribute label.
fn behaviour_label(
    raw: &RawParams,
    values: &rapport_core::ParamValues,
) -> Result<Option<(BehaviourLabel, usize, u32)>, TrainError> {
    let days = |name: &str| -> Result<u32, TrainError> {
        let value = values.int(name).map_err(refused)?;
        u32::try_from(value).map_err(refused)
    };
    let kind = |name: &str| -> Result<String, TrainError> {
        name.parse::<crate::domain::InteractionKind>()
            .map(|k| k.as_str().to_owned())
            .map_err(|_| refused(format!("`{name}` is no interaction kind")))
    };
    let (within, inactive) = (days("within_days")?, days("inactive_days")?);
    let label = match (within, inactive) {
        (0, 0) => return Ok(None),
        (_, 0) => {
            let event = values.text("event").map_err(refused)?;
            let awaited = match (event, raw.get("label")) {
                ("", Some(label)) => label.as_str(),
                ("", None) => "purchase",
                (event, _) => event,
            };
            BehaviourLabel::Event {
                kind: kind(awaited)?,
                within_days: within,
            }
        }
        (0, _) if raw.contains_key("label") => {
            return Err(refused(
                "with inactive_days the label is inactivity itself; leave `label` out",
            ));
        }
        (0, _) => BehaviourLabel::Inactive {
            days: inactive,
            kinds: values
                .text("kinds")
                .map_err(refused)?
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(kind)
                .collect::<Result<_, _>>()?,
        },
        _ => return Err(refused("give within_days or inactive_days, not both")),
    };
    let cutoffs = usize::try_from(values.int("cutoffs").map_err(refused)?).map_err(refused)?;
    Ok(Some((label, cutoffs, days("cutoff_every_days")?)))
}

/// A frame of the rows that carry the label, with every column any row has.
fn frame(rows: Vec<FeatureRow>, label: &LabelSpec) -> Result<Frame, TrainError> {
    let rows: Vec<FeatureRow> = rows
        .into_iter()
        .filter(|r| r.get(&label.column).is_some_and(|v| !v.is_missing()))
        .collect();
    data::frame(rows).map_err(refused)
}

/// Trains `scorer` on the live customers, with an attribute or a behaviour
/// label, calibrated and assessed ([`rapport_assess::fit_assessed`]).
pub(super) async fn train(
    db: &DatabaseConnection,
    scorer: &'static dyn DynScorer,
    raw: &RawParams,
    progress: &(dyn Fn(f64, &str) + Sync),
) -> Result<Outcome, TrainError> {
    let settings = settings(raw)?;
    let customers = data::live_customers(db).await?;
    let (events, mut stats) = data::customer_events(db, None).await?;
    let rows = data::feature_rows(&customers, &events, chrono::Utc::now().timestamp());
    stats.customers = customers.len();
    let (frame, split, label_name) = match &settings.behaviour {
        None => {
            let name = match &settings.label.positive {
                Some(positive) => format!("{}={positive}", settings.label.column),
                None => settings.label.column.clone(),
            };
            (frame(rows, &settings.label)?, None, name)
        }
        Some((label, count, every)) => {
            let (frame, split) = point_in_time(&customers, &events, label, *count, *every)?;
            (frame, Some(split), label.name())
        }
    };
    progress(
        0.3,
        "evaluating, calibrating and assessing on the held-out split",
    );
    let fitted = tokio::task::spawn_blocking(move || {
        let mut spec = TrainSpec::new(settings.label);
        spec.exclude = settings.exclude;
        let options = rapport_assess::AssessOptions {
            protected: settings.protected,
            split,
            ..rapport_assess::AssessOptions::default()
        };
        let assessed =
            rapport_assess::fit_assessed(scorer, &frame, &spec, &settings.params, &options)?;
        let engine_bytes = scorer.to_bytes(&assessed.model)?;
        Ok::<_, rapport_core::ScoreError>((assessed, engine_bytes))
    })
    .await
    .map_err(|e| anyhow::anyhow!("training task: {e}"))?;
    let (assessed, engine_bytes) = fitted.map_err(|e| {
        if e.is_internal() {
            TrainError::Internal(anyhow::Error::new(e))
        } else {
            refused(e)
        }
    })?;
    progress(0.9, "storing");
    let mut metrics = serde_json::to_value(&assessed.assessment).map_err(anyhow::Error::from)?;
    if let Some(rules) = rapport_engines::leaf_rules(&assessed.model)
        && let Some(metrics) = metrics.as_object_mut()
    {
        let rules = serde_json::to_value(rules).map_err(anyhow::Error::from)?;
        metrics.insert("rules".to_owned(), rules);
    }
    let stored = StoredModel::CalibratedScorer {
        label: label_name,
        engine_bytes,
        calibrator: assessed.calibrator,
        tiers: assessed.tiers,
    };
    Ok((stats, metrics, stored.to_bytes()?))
}

/// Frame indices of the train rows, then of the test rows.
type TrainTest = (Vec<usize>, Vec<usize>);

/// The stacked point-in-time frame of a behaviour label and its temporal
/// split; refuses a log too short to hold a training cutoff whose window
/// ends by the newest cutoff.
fn point_in_time(
    customers: &[crate::entities::customer::Model],
    events: &[rapport_core::scoring::CustomerEvent],
    label: &BehaviourLabel,
    count: usize,
    every_days: u32,
) -> Result<(Frame, TrainTest), TrainError> {
    let cutoffs = label.cutoffs(events, count, every_days);
    let (rows, row_cutoffs) = data::behaviour_rows(customers, events, label, &cutoffs);
    let split = temporal_split(&cutoffs, &row_cutoffs, label.window_secs());
    if split.0.is_empty() || split.1.is_empty() {
        let days = label.window_secs() / 86_400;
        return Err(refused(format!(
            "the interaction log is too short for `{}`: training needs cutoffs whose \
             {days}-day window ends by the newest one, so a history of more than twice \
             the window (found {} cutoffs {every_days} days apart); raise `cutoffs` or \
             shorten the window",
            label.name(),
            cutoffs.len()
        )));
    }
    Ok((data::frame(rows).map_err(refused)?, split))
}
