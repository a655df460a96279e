//! Training one engine on the database's data: offline evaluation on the
//! held-out split of DESIGN.md §5, then a fit on all data, ready to store.

use std::collections::BTreeMap;

use rapport_core::{KindWeights, Params};
use rapport_logistic::{Frame, LabelSpec, LogisticModel, LogisticParams, TrainSpec, Value as Cell};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::catalogue::{DEFAULT_LABEL, EngineKind, engine_kind};
use super::data::{self, DataStats, FeatureRow};
use super::stored::StoredModel;

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Bad engine name or parameters, or data the engine cannot learn from.
    #[error("{0}")]
    Refused(String),
    /// Something broke.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A trained model ready to be stored.
pub struct Trained {
    pub engine: String,
    pub kind: EngineKind,
    /// The parameters as given (engine defaults apply to the rest).
    pub params: Value,
    pub stats: DataStats,
    /// Offline metrics on the held-out split.
    pub metrics: Value,
    /// [`StoredModel`] bytes.
    pub bytes: Vec<u8>,
}

/// Raw `name=value` parameters.
pub type RawParams = BTreeMap<String, String>;

/// Checks the engine name and its parameters without training.
pub fn validate(engine: &str, raw: &RawParams) -> Result<EngineKind, TrainError> {
    let kind = engine_kind(engine)
        .ok_or_else(|| TrainError::Refused(format!("no engine named `{engine}`")))?;
    match kind {
        EngineKind::Recommender => {
            let specs = rapport_engines::registry()
                .get(engine)
                .map(|e| e.describe().params)
                .unwrap_or_default();
            to_params(raw)
                .resolve(&specs)
                .map_err(|e| TrainError::Refused(e.to_string()))?;
        }
        EngineKind::Scorer => {
            scorer_settings(raw)?;
        }
    }
    Ok(kind)
}

fn to_params(raw: &RawParams) -> Params {
    raw.iter().fold(Params::new(), |p, (k, v)| p.with(k, v))
}

fn scorer_settings(raw: &RawParams) -> Result<(LabelSpec, LogisticParams), TrainError> {
    let label = raw.get("label").map_or(DEFAULT_LABEL, String::as_str);
    let label = LabelSpec::parse(label).map_err(|e| TrainError::Refused(e.to_string()))?;
    let mut rest = raw.clone();
    rest.remove("label");
    let params = LogisticParams::resolve(&to_params(&rest))
        .map_err(|e| TrainError::Refused(e.to_string()))?;
    Ok((label, params))
}

/// Trains `engine`; `progress` is told each stage.
pub async fn train(
    db: &DatabaseConnection,
    weights: &KindWeights,
    engine: &str,
    raw: &RawParams,
    progress: &(dyn Fn(f64, &str) + Sync),
) -> Result<Trained, TrainError> {
    let kind = validate(engine, raw)?;
    progress(0.05, "loading data");
    let (stats, metrics, bytes) = match kind {
        EngineKind::Recommender => train_recommender(db, weights, engine, raw, progress).await?,
        EngineKind::Scorer => train_scorer(db, raw, progress).await?,
    };
    Ok(Trained {
        engine: engine.to_owned(),
        kind,
        params: super::catalogue::typed_params(engine, raw),
        stats,
        metrics,
        bytes,
    })
}

type Outcome = (DataStats, Value, Vec<u8>);

async fn train_recommender(
    db: &DatabaseConnection,
    weights: &KindWeights,
    name: &str,
    raw: &RawParams,
    progress: &(dyn Fn(f64, &str) + Sync),
) -> Result<Outcome, TrainError> {
    let data = data::recommender_data(db, weights).await?;
    if data.dataset.interactions.is_empty() {
        return Err(TrainError::Refused(
            "there are no item interactions to learn from".to_owned(),
        ));
    }
    let engine = rapport_engines::registry()
        .get(name)
        .ok_or_else(|| TrainError::Refused(format!("no engine named `{name}`")))?;
    let params = to_params(raw);
    progress(0.2, "evaluating on the held-out split");
    let fitted = tokio::task::spawn_blocking(move || {
        let report = rapport_core::eval::evaluate(engine, &data.dataset, &params, 10)?;
        let model = engine.fit(&data.dataset, &params)?;
        let engine_bytes = engine.to_bytes(&model)?;
        let history = histories(&data.dataset);
        Ok::<_, rapport_core::EngineError>((report, engine_bytes, history, data))
    })
    .await
    .map_err(|e| anyhow::anyhow!("training task: {e}"))?;
    let (report, engine_bytes, history, data) = fitted.map_err(|e| {
        if e.is_caller_error() {
            TrainError::Refused(e.to_string())
        } else {
            TrainError::Internal(anyhow::Error::new(e))
        }
    })?;
    progress(0.9, "storing");
    let stored = StoredModel::Recommender {
        customers: data.customers,
        items: data.items,
        history,
        trained_on_data_until: data.read_at,
        engine_bytes,
    };
    Ok((
        data.stats,
        serde_json::to_value(&report).map_err(anyhow::Error::from)?,
        stored.to_bytes()?,
    ))
}

/// The distinct items of each customer, for excluding them at serving time
/// without reading the whole history from the database.
fn histories(data: &rapport_core::Dataset) -> Vec<Vec<u32>> {
    let mut history = vec![Vec::new(); data.n_customers];
    for x in &data.interactions {
        history[x.customer as usize].push(x.item);
    }
    for items in &mut history {
        items.sort_unstable();
        items.dedup();
    }
    history
}

/// A frame of the rows that carry the label, with every column any row has.
fn frame(rows: Vec<FeatureRow>, label: &LabelSpec) -> Result<Frame, TrainError> {
    let rows: Vec<FeatureRow> = rows
        .into_iter()
        .filter(|r| r.get(&label.column).is_some_and(|v| !v.is_missing()))
        .collect();
    let mut columns: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
    columns.sort();
    columns.dedup();
    let cells = rows
        .into_iter()
        .map(|mut r| {
            columns
                .iter()
                .map(|c| r.remove(c).unwrap_or(Cell::Missing))
                .collect()
        })
        .collect();
    Frame::new(columns, cells).map_err(|e| TrainError::Refused(e.to_string()))
}

async fn train_scorer(
    db: &DatabaseConnection,
    raw: &RawParams,
    progress: &(dyn Fn(f64, &str) + Sync),
) -> Result<Outcome, TrainError> {
    let (label, params) = scorer_settings(raw)?;
    let customers = data::live_customers(db).await?;
    let (events, mut stats) = data::customer_events(db, None).await?;
    let rows = data::feature_rows(&customers, &events, chrono::Utc::now().timestamp());
    stats.customers = customers.len();
    let frame = frame(rows, &label)?;
    progress(0.3, "evaluating on the held-out split");
    let label_name = match &label.positive {
        Some(positive) => format!("{}={positive}", label.column),
        None => label.column.clone(),
    };
    let fitted = tokio::task::spawn_blocking(move || {
        let spec = TrainSpec::new(label);
        let report = rapport_logistic::evaluate(&frame, &spec, &params)?;
        let model = LogisticModel::fit(&frame, &spec, &params)?;
        Ok::<_, rapport_logistic::ScoreError>((report, model.to_bytes()?))
    })
    .await
    .map_err(|e| anyhow::anyhow!("training task: {e}"))?;
    let (report, engine_bytes) = fitted.map_err(|e| {
        if e.is_internal() {
            TrainError::Internal(anyhow::Error::new(e))
        } else {
            TrainError::Refused(e.to_string())
        }
    })?;
    progress(0.9, "storing");
    let stored = StoredModel::Scorer {
        label: label_name,
        engine_bytes,
    };
    Ok((
        stats,
        serde_json::to_value(&report).map_err(anyhow::Error::from)?,
        stored.to_bytes()?,
    ))
}
