//! `GET /customers/{id}/recommendations` and `GET /items/{id}/similar`,
//! served from the active models, with reasons.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::{HttpResponse, get, web};
use rapport_core::Recommendation;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::customers::find_live;
use crate::auth::Caller;
use crate::entities::{interaction, item};
use crate::error::ApiError;
use crate::ml::serving::{ActiveModel, Loaded, LoadedRecommender};
use crate::ml::{EngineKind, engine_kind};
use crate::policy::{self, Action};
use crate::state::AppState;

/// Engine answering for customers the chosen model does not know.
const FALLBACK_ENGINE: &str = "popularity";
/// Most items in one list.
const MAX_K: usize = 100;
/// Extra candidates asked of the engine, to make up for inactive items.
const SPARE: usize = 20;

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
}

/// A list of items from one model.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recommendations {
    pub engine: String,
    pub model_id: Uuid,
    pub items: Vec<RecommendedItem>,
    /// `popularity` when the customer was unknown to the chosen model.
    pub fallback: Option<String>,
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
    state.models.get(engine).ok_or_else(|| ApiError::Conflict {
        code: "no_active_model",
        detail: format!("engine `{engine}` has no active model; train and activate one"),
    })
}

fn recommender(model: &ActiveModel) -> Result<&LoadedRecommender, ApiError> {
    match &model.loaded {
        Loaded::Recommender(r) => Ok(r),
        Loaded::Scorer { .. } => {
            Err(anyhow::anyhow!("model {} is not a recommender", model.id).into())
        }
    }
}

/// Turns engine output into API items: drops inactive items, names items and reasons.
async fn present(
    state: &AppState,
    model: &LoadedRecommender,
    list: Vec<Recommendation>,
    k: usize,
) -> Result<Vec<RecommendedItem>, ApiError> {
    let id_of = |index: u32| model.items.get(index as usize).copied();
    let mut wanted: Vec<Uuid> = list.iter().filter_map(|r| id_of(r.item)).collect();
    wanted.extend(
        list.iter()
            .flat_map(|r| r.reasons.iter())
            .filter_map(|r| id_of(r.item)),
    );
    wanted.sort();
    wanted.dedup();
    let rows: HashMap<Uuid, item::Model> = item::Entity::find()
        .filter(item::Column::Id.is_in(wanted))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let name_of = |index: u32| id_of(index).and_then(|id| rows.get(&id));
    // Zero-score entries only fill a list; with no evidence behind them they are not served.
    Ok(list
        .into_iter()
        .filter(|rec| rec.score > 0.0)
        .filter_map(|rec| {
            let row = name_of(rec.item).filter(|row| row.active)?;
            Some(RecommendedItem {
                item_id: row.id,
                sku: row.sku.clone(),
                name: row.name.clone(),
                score: rec.score,
                reasons: rec
                    .reasons
                    .iter()
                    .filter_map(|reason| {
                        name_of(reason.item).map(|r| ReasonOut {
                            item_id: r.id,
                            name: r.name.clone(),
                            weight: reason.weight,
                        })
                    })
                    .collect(),
            })
        })
        .take(k)
        .collect())
}

fn engine_error(err: rapport_core::EngineError) -> ApiError {
    ApiError::Internal(anyhow::Error::new(err).context("serving a recommendation"))
}

/// Items to recommend to a customer, with the history items behind each.
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path), RecommendQuery),
    responses((status = 200, body = Recommendations), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "no active model (`no_active_model`)")))]
#[get("/customers/{id}/recommendations")]
async fn recommend(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<RecommendQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let k = k_of(&query)?;
    let engine = query
        .engine
        .clone()
        .unwrap_or_else(|| state.default_engine.clone());
    let chosen = active_recommender(&state, &engine)?;
    let customer = find_live(&state.db, *id).await?;
    let known = recommender(&chosen)?
        .customer_index
        .get(&customer.id)
        .copied();
    let (model, index, fallback) = match known {
        Some(index) => (chosen, index, None),
        None if engine == FALLBACK_ENGINE => (chosen, 0, None),
        None => (
            active_recommender(&state, FALLBACK_ENGINE)?,
            0,
            Some(FALLBACK_ENGINE.to_owned()),
        ),
    };
    let loaded = recommender(&model)?;
    // Exclusion reads the log now, so interactions since training count too.
    let exclude: Vec<u32> = if query.exclude_seen.unwrap_or(true) {
        let seen: Vec<Option<Uuid>> = interaction::Entity::find()
            .select_only()
            .column(interaction::Column::ItemId)
            .distinct()
            .filter(interaction::Column::CustomerId.eq(customer.id))
            .filter(interaction::Column::ItemId.is_not_null())
            .into_tuple()
            .all(&state.db)
            .await?;
        seen.into_iter()
            .flatten()
            .filter_map(|id| loaded.item_index.get(&id).copied())
            .collect()
    } else {
        Vec::new()
    };
    let list = loaded
        .engine
        .recommend(&loaded.model, index, k + SPARE, &exclude)
        .map_err(engine_error)?;
    let items = present(&state, loaded, list, k).await?;
    Ok(HttpResponse::Ok().json(Recommendations {
        engine: model.engine.clone(),
        model_id: model.id,
        items,
        fallback,
    }))
}

/// Items most similar to an item.
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path), RecommendQuery),
    responses((status = 200, body = Recommendations), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem, description = "no active model (`no_active_model`)")))]
#[get("/items/{id}/similar")]
async fn similar(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<RecommendQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let k = k_of(&query)?;
    let engine = query
        .engine
        .clone()
        .unwrap_or_else(|| state.default_engine.clone());
    let model = active_recommender(&state, &engine)?;
    let row = item::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("item"))?;
    let loaded = recommender(&model)?;
    let index = loaded
        .item_index
        .get(&row.id)
        .copied()
        .ok_or_else(|| ApiError::Conflict {
            code: "item_unknown_to_model",
            detail: "the item was added after the model was trained; train again".to_owned(),
        })?;
    let list = loaded
        .engine
        .similar_items(&loaded.model, index, k + SPARE)
        .map_err(engine_error)?;
    let items = present(&state, loaded, list, k).await?;
    Ok(HttpResponse::Ok().json(Recommendations {
        engine: model.engine.clone(),
        model_id: model.id,
        items,
        fallback: None,
    }))
}

/// Mounts the recommendation routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(recommend).service(similar);
}
