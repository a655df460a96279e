//! Training one engine on the database's data: offline evaluation on the
//! held-out split of DESIGN.md §5, then a fit on all data, ready to store.

use std::collections::BTreeMap;

use rapport_core::{DynRecommender, KindWeights, Params};
use rapport_engines::{Engine, registry};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::catalogue::EngineKind;
use super::data::{self, DataStats};
use super::stored::{StoredModel, StoredRecommender};

/// The engine whose list serves the customers a recommender does not know.
pub const FALLBACK_ENGINE: &str = "popularity";

/// Half-life of the time decay of the fallback list every recommender model
/// carries: what has been popular lately rather than over the whole log.
pub const FALLBACK_HALF_LIFE_DAYS: u32 = 30;

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

pub(super) fn refused(e: impl std::fmt::Display) -> TrainError {
    TrainError::Refused(e.to_string())
}

/// The registered engine called `name`.
fn engine(name: &str) -> Result<Engine<'static>, TrainError> {
    registry()
        .engine(name)
        .ok_or_else(|| refused(format!("no engine named `{name}`")))
}

/// Checks the engine name and its parameters without training, and that
/// the memory the parameters imply (if they bound it) fits in
/// `memory_budget` bytes.
pub fn validate(name: &str, raw: &RawParams, memory_budget: u64) -> Result<EngineKind, TrainError> {
    let (engine, params) = checked_params(name, raw)?;
    if let Engine::Recommender(recommender) = engine
        && let Some(needed) = recommender.fit_memory(&params).map_err(refused)?
        && needed > memory_budget
    {
        return Err(refused(format!(
            "these parameters imply about {} of memory for the fit, over the training \
             budget of {} (RAPPORT_TRAINING_MEMORY_MIB); lower them (for ease, max_items)",
            mebibytes(needed),
            mebibytes(memory_budget)
        )));
    }
    Ok(engine.kind().into())
}

/// The engine named `name` and its parameters, checked against its ranges.
fn checked_params(name: &str, raw: &RawParams) -> Result<(Engine<'static>, Params), TrainError> {
    let engine = engine(name)?;
    let params = match engine {
        Engine::Recommender(_) => to_params(raw),
        Engine::Scorer(_) => super::scorer_training::settings(raw)?.params,
        Engine::Segmenter(_) => {
            let params = to_params(raw);
            rapport_segments::SegmentParams::resolve(&params).map_err(refused)?;
            params
        }
    };
    params.resolve(&engine.describe().params).map_err(refused)?;
    Ok((engine, params))
}

/// `bytes` in MiB, as people read it.
fn mebibytes(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1024 * 1024))
}

pub(super) fn to_params(raw: &RawParams) -> Params {
    raw.iter().fold(Params::new(), |p, (k, v)| p.with(k, v))
}

/// Trains `name`; `progress` is told each stage.
pub async fn train(
    db: &DatabaseConnection,
    weights: &KindWeights,
    name: &str,
    raw: &RawParams,
    progress: &(dyn Fn(f64, &str) + Sync),
) -> Result<Trained, TrainError> {
    let kind = checked_params(name, raw)?.0.kind().into();
    progress(0.05, "loading data");
    let (stats, metrics, bytes) = match engine(name)? {
        Engine::Recommender(engine) => {
            train_recommender(db, weights, engine, &to_params(raw), progress).await?
        }
        Engine::Scorer(scorer) => super::scorer_training::train(db, scorer, raw, progress).await?,
        Engine::Segmenter(_) => super::segmentation::train(db, &to_params(raw), progress).await?,
    };
    Ok(Trained {
        engine: name.to_owned(),
        kind,
        params: super::catalogue::typed_params(name, raw),
        stats,
        metrics,
        bytes,
    })
}

/// What training an engine yields: data statistics, metrics, stored bytes.
pub(super) type Outcome = (DataStats, Value, Vec<u8>);

async fn train_recommender(
    db: &DatabaseConnection,
    weights: &KindWeights,
    engine: &'static dyn DynRecommender,
    params: &Params,
    progress: &(dyn Fn(f64, &str) + Sync),
) -> Result<Outcome, TrainError> {
    let kinds = learned_kinds(engine, params)?;
    let data = recommender_data(db, weights, kinds.as_deref()).await?;
    let params = params.clone();
    progress(0.2, "evaluating on the held-out split");
    let (report, stored, stats) = blocking(move || {
        let report = rapport_core::eval::evaluate(engine, &data.dataset, &params, 10)?;
        let stats = data.stats.clone();
        Ok((report, fit_for_serving(engine, &params, data)?, stats))
    })
    .await?;
    progress(0.9, "storing");
    Ok((
        stats,
        recommender_metrics(engine, &report)?,
        stored.to_bytes()?,
    ))
}

/// The recommender data of the database (interactions of `kinds`, or
/// every kind), refused when there is no item interaction to learn from.
pub(super) async fn recommender_data(
    db: &DatabaseConnection,
    weights: &KindWeights,
    kinds: Option<&[String]>,
) -> Result<data::RecommenderData, TrainError> {
    let data = data::recommender_data(db, weights, kinds).await?;
    if data.dataset.interactions.is_empty() {
        return Err(refused("there are no item interactions to learn from"));
    }
    Ok(data)
}

/// Runs engine work off the async threads; an engine's caller error is a
/// refusal, any other an internal error.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, rapport_core::EngineError> + Send + 'static,
) -> Result<T, TrainError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| anyhow::anyhow!("training task: {e}"))?
        .map_err(|e| {
            if e.is_caller_error() {
                refused(e)
            } else {
                TrainError::Internal(anyhow::Error::new(e))
            }
        })
}

/// The final fit on all of `data`, as served: the engine's model, the
/// customers' histories and the popularity fallback.
pub(super) fn fit_for_serving(
    engine: &dyn DynRecommender,
    params: &Params,
    data: data::RecommenderData,
) -> Result<StoredModel, rapport_core::EngineError> {
    let model = engine.fit(&data.dataset, params)?;
    let engine_bytes = engine.to_bytes(&model)?;
    let popularity_bytes = fallback_bytes(engine, &data.dataset)?;
    let recommender = StoredRecommender {
        history: histories(&data.dataset),
        customers: data.customers,
        items: data.items,
        trained_on_data_until: data.read_at,
        engine_bytes,
    };
    Ok(match popularity_bytes {
        Some(popularity_bytes) => StoredModel::RecommenderWithFallback {
            recommender,
            popularity_bytes,
        },
        None => StoredModel::Recommender(recommender),
    })
}

/// The metrics stored with a recommender model: the held-out evaluation
/// and the fallback it carries.
pub(super) fn recommender_metrics(
    engine: &dyn DynRecommender,
    report: &rapport_core::eval::EvalReport,
) -> Result<Value, TrainError> {
    let mut metrics = serde_json::to_value(report).map_err(anyhow::Error::from)?;
    if engine.name() != FALLBACK_ENGINE
        && let Some(metrics) = metrics.as_object_mut()
    {
        metrics.insert(
            "fallback".to_owned(),
            serde_json::json!({"engine": FALLBACK_ENGINE, "half_life_days": FALLBACK_HALF_LIFE_DAYS}),
        );
    }
    Ok(metrics)
}

/// The time-decayed `popularity` model of the same data (so of the same
/// indices) that serves the customers `engine`'s model does not know; none
/// when `engine` is popularity itself.
fn fallback_bytes(
    engine: &dyn DynRecommender,
    data: &rapport_core::Dataset,
) -> Result<Option<Vec<u8>>, rapport_core::EngineError> {
    if engine.name() == FALLBACK_ENGINE {
        return Ok(None);
    }
    let popularity = registry().recommender(FALLBACK_ENGINE).ok_or_else(|| {
        rapport_core::EngineError::Internal(format!("no `{FALLBACK_ENGINE}` engine registered"))
    })?;
    let params = Params::new().with("half_life_days", FALLBACK_HALF_LIFE_DAYS);
    let model = popularity.fit(data, &params)?;
    popularity.to_bytes(&model).map(Some)
}

/// The interaction kinds an engine learns from, when it publishes a `kinds`
/// parameter (comma-separated; `*` for every kind): the data is read for
/// those kinds only.
fn learned_kinds(
    engine: &dyn DynRecommender,
    params: &Params,
) -> Result<Option<Vec<String>>, TrainError> {
    let specs = engine.describe().params;
    if !specs.iter().any(|s| s.name == "kinds") {
        return Ok(None);
    }
    let values = params.resolve(&specs).map_err(refused)?;
    rapport_baskets::engine::kinds(&values).map_err(refused)
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

#[cfg(test)]
mod tests {
    use rapport_core::data::{Dataset, Interaction};

    use super::*;

    /// Item 0 was bought by three customers a year ago, item 1 by two this
    /// week: over the whole log item 0 is the more popular, lately item 1.
    fn aging_log() -> Dataset {
        const DAY: i64 = 86_400;
        let now = 1_800_000_000;
        let bought = |customer, item, timestamp| Interaction {
            customer,
            item,
            weight: 1.0,
            timestamp,
            basket: None,
        };
        Dataset {
            n_customers: 5,
            n_items: 2,
            interactions: vec![
                bought(0, 0, now - 365 * DAY),
                bought(1, 0, now - 366 * DAY),
                bought(2, 0, now - 367 * DAY),
                bought(3, 1, now - DAY),
                bought(4, 1, now),
            ],
            items: Vec::new(),
        }
    }

    #[test]
    fn the_fallback_list_is_what_is_popular_lately() {
        let data = aging_log();
        let popularity = registry().recommender(FALLBACK_ENGINE).unwrap();
        let item_item = registry().recommender("item_item").unwrap();
        let bytes = fallback_bytes(item_item, &data).unwrap().unwrap();
        let fallback = popularity.from_bytes(&bytes).unwrap();
        let list = popularity.recommend(&fallback, 0, 2, &[]).unwrap();
        assert_eq!(list.iter().map(|r| r.item).collect::<Vec<_>>(), [1, 0]);
        // Three purchases a year old weigh 3 / 2^(365/30), about 0.0007.
        assert!(list[1].score < 0.001 && list[1].score > 0.0, "{list:?}");

        let undecayed = popularity.fit(&data, &Params::new()).unwrap();
        let list = popularity.recommend(&undecayed, 0, 2, &[]).unwrap();
        assert_eq!(list.iter().map(|r| r.item).collect::<Vec<_>>(), [0, 1]);

        assert!(fallback_bytes(popularity, &data).unwrap().is_none());
    }
}
