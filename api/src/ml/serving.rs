//! The active models of this replica, kept in memory and swapped atomically
//! when an activation (made here or on another replica) is noticed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use rapport_assess::{Calibrator, Tier, TierThresholds};
use rapport_core::scoring::{Prediction, Row};
use rapport_core::{DynRecommender, DynScorer, FittedModel, FittedScorer, ScoreError};
use rapport_engines::registry;
use rapport_segments::SegmentModel;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::activity::CustomerActivity;
use super::book::{ExperimentBook, RuleBook};
use super::dismissals::Dismissals;
use super::listing::ItemListing;
use super::stored::{StoredModel, StoredRecommender};
use super::train::FALLBACK_ENGINE;
use crate::entities::{model, model_blob};

/// A loaded recommender with its id maps.
pub struct LoadedRecommender {
    pub engine: &'static dyn DynRecommender,
    pub model: FittedModel,
    pub customer_index: HashMap<Uuid, u32>,
    pub items: Vec<Uuid>,
    pub item_index: HashMap<Uuid, u32>,
    /// Distinct items of each customer's training history.
    pub history: Vec<Vec<u32>>,
    /// Interactions recorded from then on are not in `history`.
    pub trained_on_data_until: DateTime<Utc>,
    /// The popularity list of the same training data, for customers the
    /// model does not know (none for popularity itself and for models
    /// stored before recommenders carried one).
    pub fallback: Option<Fallback>,
}

/// A list for everyone, computed from the indices of the model it came with.
pub struct Fallback {
    pub engine: &'static dyn DynRecommender,
    pub model: FittedModel,
}

/// A loaded scorer: the engine, its fitted model, the calibration of its
/// probabilities and the tier thresholds (identity and none for models
/// stored before scorers were calibrated).
pub struct LoadedScorer {
    engine: &'static dyn DynScorer,
    model: FittedScorer,
    calibrator: Calibrator,
    tiers: Option<TierThresholds>,
}

/// One customer's score.
pub struct Scored {
    /// The model's explanation; its probability is the calibrated one.
    pub prediction: Prediction,
    /// The model's own probability, `sigmoid(logit)`, which the factors explain.
    pub uncalibrated_probability: f64,
    /// The quartile of the model's training scores the customer's falls in.
    pub tier: Option<Tier>,
}

impl LoadedScorer {
    /// Scores one customer's feature row.
    pub fn predict(&self, row: &dyn Row) -> Result<Scored, ScoreError> {
        let mut prediction = self.engine.predict(&self.model, row)?;
        let uncalibrated_probability = prediction.probability;
        prediction.probability = self.calibrator.apply(uncalibrated_probability);
        Ok(Scored {
            tier: self.tiers.map(|t| t.tier(uncalibrated_probability)),
            prediction,
            uncalibrated_probability,
        })
    }
}

/// What an active model serves.
pub enum Loaded {
    Recommender(LoadedRecommender),
    Scorer {
        model: LoadedScorer,
        label: String,
    },
    /// The active segmentation, which places customers.
    Segmenter(Box<SegmentModel>),
}

/// One active model.
pub struct ActiveModel {
    pub id: Uuid,
    pub engine: String,
    pub loaded: Loaded,
}

/// How far back the customer activity keeps interactions in memory, at most:
/// models are retrained far more often than this, and a model that is not
/// must not make every replica hold the log since its training.
const ACTIVITY_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// What this replica serves: the active model of each engine, the item
/// listing that names the items of its lists, and the customer activity that
/// tells which customers are gone and what they did since training.
#[derive(Default)]
pub struct ModelCache {
    active: RwLock<HashMap<String, Arc<ActiveModel>>>,
    /// Models the arms of experiments name that are not active, by id.
    pinned: RwLock<HashMap<Uuid, Arc<ActiveModel>>>,
    /// SKU, name and status of every item.
    pub listing: ItemListing,
    /// Deleted customers and the interactions recorded since the models' data was read.
    pub activity: CustomerActivity,
    /// The items each customer said they are not interested in.
    pub dismissals: Dismissals,
    /// The merchandising rules.
    pub rules: RuleBook,
    /// The experiments.
    pub experiments: ExperimentBook,
    refreshing: tokio::sync::Mutex<()>,
}

/// The model stored as `bytes`, ready to serve. The stored bytes go as soon
/// as they are parsed, before the engine's own part is decoded: a model's
/// load then peaks at two copies of it rather than three.
fn decode(id: Uuid, engine: &str, bytes: Vec<u8>) -> Result<ActiveModel, anyhow::Error> {
    let stored = StoredModel::from_bytes(&bytes)?;
    drop(bytes);
    let loaded = match stored {
        StoredModel::Recommender(stored) => {
            Loaded::Recommender(load_recommender(id, engine, stored, None)?)
        }
        StoredModel::RecommenderWithFallback {
            recommender,
            popularity_bytes,
        } => Loaded::Recommender(load_recommender(
            id,
            engine,
            recommender,
            Some(&popularity_bytes),
        )?),
        StoredModel::Scorer {
            label,
            engine_bytes,
        } => load_scorer(id, engine, label, &engine_bytes, Calibrator::Identity, None)?,
        StoredModel::CalibratedScorer {
            label,
            engine_bytes,
            calibrator,
            tiers,
        } => load_scorer(id, engine, label, &engine_bytes, calibrator, Some(tiers))?,
        StoredModel::Segmenter { engine_bytes, .. } => {
            Loaded::Segmenter(Box::new(registry().segmenter().from_bytes(&engine_bytes)?))
        }
    };
    Ok(ActiveModel {
        id,
        engine: engine.to_owned(),
        loaded,
    })
}

/// Decodes a stored scorer of `engine` with its calibration and tiers.
fn load_scorer(
    id: Uuid,
    engine: &str,
    label: String,
    engine_bytes: &[u8],
    calibrator: Calibrator,
    tiers: Option<TierThresholds>,
) -> Result<Loaded, anyhow::Error> {
    let scorer = registry()
        .scorer(engine)
        .ok_or_else(|| anyhow::anyhow!("model {id} names unknown scorer {engine}"))?;
    Ok(Loaded::Scorer {
        model: LoadedScorer {
            engine: scorer,
            model: scorer.from_bytes(engine_bytes)?,
            calibrator,
            tiers,
        },
        label,
    })
}

/// Decodes a stored recommender of `engine` and, when given, its fallback.
fn load_recommender(
    id: Uuid,
    engine: &str,
    stored: StoredRecommender,
    popularity_bytes: Option<&[u8]>,
) -> Result<LoadedRecommender, anyhow::Error> {
    let named = |name: &str| {
        registry()
            .recommender(name)
            .ok_or_else(|| anyhow::anyhow!("model {id} names unknown recommender {name}"))
    };
    let recommender = named(engine)?;
    let fallback = match popularity_bytes {
        Some(bytes) => {
            let engine = named(FALLBACK_ENGINE)?;
            Some(Fallback {
                engine,
                model: engine.from_bytes(bytes)?,
            })
        }
        None => None,
    };
    Ok(LoadedRecommender {
        engine: recommender,
        model: recommender.from_bytes(&stored.engine_bytes)?,
        customer_index: index(&stored.customers),
        item_index: index(&stored.items),
        items: stored.items,
        history: stored.history,
        trained_on_data_until: stored.trained_on_data_until,
        fallback,
    })
}

/// Reads and decodes the stored models `rows` name (id, engine).
async fn load_models(
    db: &DatabaseConnection,
    rows: Vec<(Uuid, String)>,
) -> Result<Vec<Arc<ActiveModel>>, anyhow::Error> {
    let mut loaded = Vec::new();
    for (id, engine) in rows {
        let Some(blob) = model_blob::Entity::find_by_id(id).one(db).await? else {
            continue;
        };
        let name = engine.clone();
        let model = tokio::task::spawn_blocking(move || decode(id, &name, blob.bytes)).await??;
        tracing::info!(model_id = %id, engine = %engine, "serving model");
        loaded.push(Arc::new(model));
    }
    Ok(loaded)
}

fn index(ids: &[Uuid]) -> HashMap<Uuid, u32> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect()
}

impl ModelCache {
    /// The active model of `engine`.
    pub fn get(&self, engine: &str) -> Option<Arc<ActiveModel>> {
        self.active.read().ok()?.get(engine).cloned()
    }

    /// Every active scorer.
    pub fn scorers(&self) -> Vec<Arc<ActiveModel>> {
        let Ok(active) = self.active.read() else {
            return Vec::new();
        };
        let mut scorers: Vec<_> = active
            .values()
            .filter(|m| matches!(m.loaded, Loaded::Scorer { .. }))
            .cloned()
            .collect();
        scorers.sort_by(|a, b| a.engine.cmp(&b.engine));
        scorers
    }

    /// Brings everything this replica serves up to date: the item listing,
    /// the active models (loading those activated since the last refresh,
    /// dropping deactivated ones), the customer activity, the dismissals and
    /// the merchandising rules. Each part is
    /// refreshed even when another fails; the first error is returned.
    /// Readers keep the `Arc` they hold, so no request sees a half swap.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        // The poller, activations and the job worker all refresh: one at a time.
        let _turn = self.refreshing.lock().await;
        let listing = self.listing.refresh(db).await;
        // Experiments first: the models their arms pin are loaded with the active ones.
        let experiments = self.experiments.refresh(db).await;
        let models = self.refresh_models(db).await;
        let activity = self.activity.refresh(db, self.data_floor()).await;
        let dismissals = self.dismissals.refresh(db).await;
        let rules = self.rules.refresh(db).await;
        listing
            .and(models)
            .and(activity)
            .and(dismissals)
            .and(rules)
            .and(experiments)
    }

    async fn refresh_models(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        let active: Vec<(Uuid, String)> = model::Entity::find()
            .select_only()
            .columns([model::Column::Id, model::Column::Engine])
            .filter(model::Column::Active.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        let pinned = self.pinned_ids(&active);
        let stale: Vec<(Uuid, String)> = active
            .iter()
            .filter(|(id, engine)| self.get(engine).is_none_or(|m| m.id != *id))
            .cloned()
            .collect();
        let fresh = load_models(db, stale).await?;
        let unloaded: Vec<Uuid> = pinned
            .iter()
            .filter(|id| self.pinned_model(id).is_none())
            .copied()
            .collect();
        let pins = match unloaded.is_empty() {
            true => Vec::new(),
            false => {
                let rows: Vec<(Uuid, String)> = model::Entity::find()
                    .select_only()
                    .columns([model::Column::Id, model::Column::Engine])
                    .filter(model::Column::Id.is_in(unloaded))
                    .into_tuple()
                    .all(db)
                    .await?;
                load_models(db, rows).await?
            }
        };
        {
            let mut map = self
                .active
                .write()
                .map_err(|_| anyhow::anyhow!("model cache lock poisoned"))?;
            map.retain(|engine, _| active.iter().any(|(_, e)| e == engine));
            for model in fresh {
                map.insert(model.engine.clone(), model);
            }
        }
        let mut map = self
            .pinned
            .write()
            .map_err(|_| anyhow::anyhow!("model cache lock poisoned"))?;
        map.retain(|id, _| pinned.contains(id));
        for model in pins {
            map.insert(model.id, model);
        }
        Ok(())
    }

    /// The models the arms of unfinished experiments name that are not active.
    fn pinned_ids(&self, active: &[(Uuid, String)]) -> Vec<Uuid> {
        let now = Utc::now();
        let mut ids: Vec<Uuid> = self
            .experiments
            .select(|x| x.status(now) != "ended")
            .iter()
            .flat_map(|x| x.arms.iter().filter_map(|a| a.model_id))
            .filter(|id| !active.iter().any(|(a, _)| a == id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn pinned_model(&self, id: &Uuid) -> Option<Arc<ActiveModel>> {
        self.pinned.read().ok()?.get(id).cloned()
    }

    /// The model `id` when this replica serves it: active, or named by an
    /// experiment's arm.
    pub fn model(&self, id: &Uuid) -> Option<Arc<ActiveModel>> {
        let active = self
            .active
            .read()
            .ok()?
            .values()
            .find(|m| m.id == *id)
            .cloned();
        active.or_else(|| self.pinned_model(id))
    }

    /// The oldest data cut-off of the active recommenders, but no more than
    /// [`ACTIVITY_KEPT`] ago: the customer activity keeps the interactions
    /// recorded since. For a model whose data is older than that (or before
    /// the activity has read back that far), serving reads the log.
    fn data_floor(&self) -> Option<DateTime<Utc>> {
        let oldest = self
            .active
            .read()
            .ok()?
            .values()
            .filter_map(|m| match &m.loaded {
                Loaded::Recommender(r) => Some(r.trained_on_data_until),
                Loaded::Scorer { .. } | Loaded::Segmenter(_) => None,
            })
            .min()?;
        // On the hour, so that the floor (and the pruning it brings) moves
        // once an hour rather than at every poll.
        let kept_from = Utc::now() - ACTIVITY_KEPT;
        let kept_from = kept_from
            .duration_trunc(chrono::TimeDelta::hours(1))
            .unwrap_or(kept_from);
        Some(oldest.max(kept_from))
    }

    /// Polls the database for activations, item and customer changes and
    /// interactions recorded elsewhere.
    pub fn spawn_refresher(self: Arc<Self>, db: DatabaseConnection, every: Duration) {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            loop {
                ticker.tick().await;
                if let Err(err) = self.refresh(&db).await {
                    tracing::warn!(error = %err, "refreshing active models failed");
                }
            }
        });
    }
}
