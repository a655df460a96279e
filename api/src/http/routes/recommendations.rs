//! `GET /customers/{id}/recommendations` and `GET /items/{id}/similar`,
//! served from the active models, with reasons.

use std::sync::Arc;

use actix_web::{HttpResponse, get, web};
use chrono::Utc;
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::recommendation_lists::{fill, placement_of, respond};
use crate::auth::Caller;
use crate::domain::{DomainError, ErrorCode};
use crate::entities::item;
use crate::http::error::ApiError;
use crate::ml::exclusions;
use crate::ml::experiment_arms::{self, Assignment};
use crate::ml::serving::{ActiveModel, Loaded, LoadedRecommender};
use crate::ml::train::FALLBACK_ENGINE;
use crate::ml::{EngineKind, engine_kind};
use crate::policy::{self, Action};
use crate::services::customers::ensure_live;
use crate::services::exposure_log::ServedList;
use crate::state::AppState;

/// Most items in one list.
const MAX_K: usize = 100;
/// Neighbours read per candidate to measure similarity for diversity.
const SIMILAR_FOR_DIVERSITY: usize = 50;
/// The placement of a list whose request names none.
pub(super) const DEFAULT_PLACEMENT: &str = "api";

/// `?k=&engine=&exclude_seen=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendQuery {
    /// List length, 1 to 100 (default 10).
    pub k: Option<usize>,
    /// Engine to use (default: the configured default engine).
    pub engine: Option<String>,
    /// Leave out items the customer already interacted with (default true).
    pub exclude_seen: Option<bool>,
    /// Only items of this category.
    pub category: Option<String>,
    /// Only items with at least one of these tags (comma-separated).
    pub tags: Option<String>,
    /// No item with any of these tags (comma-separated).
    pub exclude_tags: Option<String>,
    /// None of these items (comma-separated ids).
    pub exclude_items: Option<String>,
    /// Only items priced at least this.
    pub min_price: Option<f64>,
    /// Only items priced at most this.
    pub max_price: Option<f64>,
    /// Where the list is shown (`email`, `homepage`, `support-chat` ...;
    /// default `api`): recorded with the exposure, and what experiments split.
    pub placement: Option<String>,
    /// Trade relevance for variety, 0 (none, the default) to 1: re-ranks by
    /// maximal marginal relevance over the engine's item similarity (or
    /// the items' categories when it knows none).
    pub diversity: Option<f64>,
}

/// An item that contributed to a recommendation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    pub item_id: Uuid,
    pub name: String,
    pub weight: f64,
}

/// One recommended item.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendedItem {
    pub item_id: Uuid,
    pub sku: String,
    pub name: String,
    pub score: f64,
    /// The strongest contributions, largest first.
    pub reasons: Vec<ReasonOut>,
    /// The merchandising rules that moved the item (boosted, buried or
    /// pinned it), in the order applied.
    pub rules: Vec<RuleReason>,
}

/// A merchandising rule that moved an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleReason {
    pub rule_id: Uuid,
    pub name: String,
    /// `pin`, `boost` or `bury`.
    pub action: String,
}

/// A list of items from one model.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recommendations {
    pub engine: String,
    pub model_id: Uuid,
    pub items: Vec<RecommendedItem>,
    /// `popularity` when the customer was unknown to the chosen model: the
    /// list is then the popularity list of an active `popularity` model, or
    /// else the time-decayed one of the chosen model's own training data
    /// (`model_id` is then the chosen model's).
    pub fallback: Option<String>,
    /// The id of this list as a recorded exposure (also in the
    /// `X-Exposure-Id` header), to confirm impressions with and to carry on
    /// the interactions it leads to; none when the list was not recorded
    /// (sampling, or a full recording queue).
    pub exposure_id: Option<Uuid>,
    /// Where the list is shown, as the request said (`api` by default).
    pub placement: String,
    /// The experiment arm the customer is in, while an experiment splits
    /// this placement.
    pub experiment: Option<ExperimentArm>,
}

/// An experiment and the arm a list was served under.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentArm {
    pub key: String,
    pub arm: String,
}

fn k_of(query: &RecommendQuery) -> Result<usize, ApiError> {
    match query.k {
        None => Ok(10),
        Some(k) if (1..=MAX_K).contains(&k) => Ok(k),
        Some(_) => Err(ApiError::invalid(
            "k",
            format!("must be between 1 and {MAX_K}"),
        )),
    }
}

fn active_recommender(state: &AppState, engine: &str) -> Result<Arc<ActiveModel>, ApiError> {
    if engine_kind(engine) != Some(EngineKind::Recommender) {
        return Err(ApiError::invalid(
            "engine",
            format!("no recommendation engine named `{engine}`"),
        ));
    }
    state.models.get(engine).ok_or_else(|| {
        ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::NoActiveModel,
            detail: format!("engine `{engine}` has no active model; train and activate one"),
        })
    })
}

fn recommender(model: &ActiveModel) -> Result<&LoadedRecommender, ApiError> {
    match &model.loaded {
        Loaded::Recommender(r) => Ok(r),
        Loaded::Scorer { .. } | Loaded::Segmenter(_) => {
            Err(anyhow::anyhow!("model {} is not a recommender", model.id).into())
        }
    }
}

/// What a prediction request asks for, once the caller may read
/// predictions.
struct Requested {
    k: usize,
    engine: String,
    model: Arc<ActiveModel>,
    placement: String,
    /// The experiment arm, for a customer's list while an experiment splits
    /// the placement and the request names no engine.
    assignment: Option<Assignment>,
}

/// The list length, the placement, and the model: the engine's the request
/// names, or while an experiment splits the placement the customer's arm's,
/// or the default engine's active model.
fn requested(
    state: &AppState,
    caller: &Caller,
    query: &RecommendQuery,
    customer: Option<Uuid>,
) -> Result<Requested, ApiError> {
    policy::require(caller, Action::ReadPredictions)?;
    let k = k_of(query)?;
    let placement = placement_of(query)?;
    let split = match (&query.engine, customer) {
        (None, Some(customer)) => {
            experiment_arms::assign(&state.models, &placement, customer, Utc::now())
        }
        _ => None,
    };
    let (assignment, arm_model) = match split {
        Some((assignment, model)) => (Some(assignment), model),
        None => (None, None),
    };
    let model = match arm_model {
        Some(model) => model,
        None => {
            let engine = query.engine.as_deref().unwrap_or(&state.default_engine);
            active_recommender(state, engine)?
        }
    };
    Ok(Requested {
        k,
        engine: model.engine.clone(),
        model,
        placement,
        assignment,
    })
}

/// Items to recommend to a customer, with the history items behind each.
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path), RecommendQuery),
    responses((status = 200, body = Recommendations), (status = 404, body = crate::http::error::Problem),
        (status = 409, body = crate::http::error::Problem, description = "no active model (`no_active_model`)")))]
#[get("/customers/{id}/recommendations")]
async fn recommend(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<RecommendQuery>,
) -> Result<HttpResponse, ApiError> {
    let customer = *id;
    let Requested {
        k,
        engine,
        model: chosen,
        placement,
        assignment,
    } = requested(&state, &caller, &query, Some(customer))?;
    let loaded = recommender(&chosen)?;
    let known = loaded.customer_index.get(&customer).copied();
    let cold = known.is_none() && engine != FALLBACK_ENGINE;
    // An active popularity model of its own is the fallback users chose;
    // otherwise the chosen model's own popularity list serves.
    let separate = cold.then(|| state.models.get(FALLBACK_ENGINE)).flatten();
    let (served_by, loaded, ranker, ranked_by, index) = match (&separate, &loaded.fallback) {
        _ if !cold => (
            &chosen,
            loaded,
            &loaded.model,
            loaded.engine,
            known.unwrap_or(0),
        ),
        (Some(popular), _) => {
            let own = recommender(popular)?;
            (popular, own, &own.model, own.engine, 0)
        }
        (None, Some(fallback)) => (&chosen, loaded, &fallback.model, fallback.engine, 0),
        (None, None) => {
            // An unknown customer is a 404 before a missing model is a 409.
            ensure_live(&state.db, customer).await?;
            return Err(ApiError::Domain(DomainError::Conflict {
                code: ErrorCode::NoActiveModel,
                detail: format!(
                    "the active `{engine}` model does not know this customer and was stored \
                     without a fallback list; train it again or activate a `{FALLBACK_ENGINE}` model"
                ),
            }));
        }
    };
    let exclude_seen = query.exclude_seen.unwrap_or(true);
    let exclude =
        exclusions::excluded_items(&state.db, &state.models, loaded, customer, exclude_seen)
            .await?;
    let items = fill(
        &state,
        loaded,
        &query,
        k,
        &exclude,
        |n| ranked_by.recommend(ranker, index, n, &exclude),
        ranked_by
            .knows_item_similarity()
            .then_some(|item| ranked_by.similar_items(ranker, item, SIMILAR_FOR_DIVERSITY)),
    )?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.item_id).collect();
    let served = ServedList {
        customer: Some(customer),
        model_id: served_by.id,
        engine: ranked_by.name(),
        assignment: assignment.as_ref(),
        placement: &placement,
        items: &ids,
    };
    let experiment = assignment.as_ref().map(|a| ExperimentArm {
        key: a.key.clone(),
        arm: a.arm.clone(),
    });
    let body = Recommendations {
        engine: ranked_by.name().to_owned(),
        model_id: served_by.id,
        items,
        fallback: cold.then(|| FALLBACK_ENGINE.to_owned()),
        exposure_id: None,
        placement: placement.clone(),
        experiment,
    };
    Ok(respond(&state, served, body))
}

/// Items most similar to an item.
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path), RecommendQuery),
    responses((status = 200, body = Recommendations), (status = 404, body = crate::http::error::Problem),
        (status = 409, body = crate::http::error::Problem, description = "no active model (`no_active_model`)")))]
#[get("/items/{id}/similar")]
async fn similar(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<RecommendQuery>,
) -> Result<HttpResponse, ApiError> {
    let Requested {
        k,
        model,
        placement,
        ..
    } = requested(&state, &caller, &query, None)?;
    let row = item::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("item"))?;
    let loaded = recommender(&model)?;
    let index = loaded.item_index.get(&row.id).copied().ok_or_else(|| {
        ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::ItemUnknownToModel,
            detail: "the item was added after the model was trained; train again".to_owned(),
        })
    })?;
    let items = fill(
        &state,
        loaded,
        &query,
        k,
        &[index],
        |n| loaded.engine.similar_items(&loaded.model, index, n),
        loaded.engine.knows_item_similarity().then_some(|item| {
            loaded
                .engine
                .similar_items(&loaded.model, item, SIMILAR_FOR_DIVERSITY)
        }),
    )?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.item_id).collect();
    let served = ServedList {
        customer: None,
        model_id: model.id,
        engine: &model.engine,
        assignment: None,
        placement: &placement,
        items: &ids,
    };
    let body = Recommendations {
        engine: model.engine.clone(),
        model_id: model.id,
        items,
        fallback: None,
        exposure_id: None,
        placement: placement.clone(),
        experiment: None,
    };
    Ok(respond(&state, served, body))
}

/// Mounts the recommendation routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(recommend).service(similar);
}
