//! `/models`: trained models, their offline metrics, and activation.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::entities::model::{self, Column};
use crate::http::error::ApiError;
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::services::{Context, models};
use crate::state::AppState;

/// A trained model.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelOut {
    pub id: Uuid,
    pub engine: String,
    /// `recommender` or `scorer`.
    pub kind: String,
    /// Parameters given at training (engine defaults apply to the rest).
    #[schema(value_type = Object)]
    pub params: Value,
    /// Customers, items, interactions and time range of the training data.
    #[schema(value_type = Object)]
    pub data_stats: Value,
    /// Offline metrics on the held-out split of the evaluation protocol.
    #[schema(value_type = Object)]
    pub metrics: Value,
    pub size_bytes: i64,
    pub active: bool,
    pub activated_at: Option<DateTime<Utc>>,
    pub job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<model::Model> for ModelOut {
    fn from(row: model::Model) -> Self {
        Self {
            id: row.id,
            engine: row.engine,
            kind: row.kind,
            params: row.params,
            data_stats: row.data_stats,
            metrics: row.metrics,
            size_bytes: row.size_bytes,
            active: row.active,
            activated_at: row.activated_at,
            job_id: row.job_id,
            created_at: row.created_at,
        }
    }
}

/// Filters of `GET /models`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModelFilters {
    pub engine: Option<String>,
    pub active: Option<bool>,
}

const SORTABLE: &[(&str, Column)] = &[("created_at", Column::CreatedAt)];

/// Trained models, newest first.
#[utoipa::path(tag = "models", params(ModelFilters, PageParams), responses((status = 200, body = Page<ModelOut>)))]
#[get("/models")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<ModelFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "-created_at")?;
    let mut select = model::Entity::find();
    if let Some(engine) = &filters.engine {
        select = select.filter(Column::Engine.eq(engine.as_str()));
    }
    if let Some(active) = filters.active {
        select = select.filter(Column::Active.eq(active));
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    Ok(HttpResponse::Ok().json(rows.map(ModelOut::from)))
}

pub(super) async fn find(state: &AppState, id: Uuid) -> Result<model::Model, ApiError> {
    model::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("model"))
}

/// One model: parameters, data statistics and offline metrics.
///
/// The same figures drawn as charts: [`GET /models/{id}/report`](./{id}/report)
/// (an HTML page with inline SVG, no scripts, works offline), and as JSON at
/// `GET /models/{id}/report.json`.
#[utoipa::path(tag = "models", params(("id" = Uuid, Path)),
    responses((status = 200, body = ModelOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/models/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    Ok(HttpResponse::Ok().json(ModelOut::from(find(&state, *id).await?)))
}

/// Make this model the one its engine serves (on every replica within seconds).
#[utoipa::path(tag = "models", params(("id" = Uuid, Path)),
    responses((status = 200, body = ModelOut), (status = 404, body = crate::http::error::Problem)))]
#[post("/models/{id}/activate")]
async fn activate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::TrainModels)?;
    let row = find(&state, *id).await?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    models::activate(&ctx, &row).await?;
    // The activation is committed; the poll retries what this refresh misses.
    if let Err(err) = state.models.refresh(&state.db).await {
        tracing::warn!(error = %err, "refreshing active models after an activation failed");
    }
    Ok(HttpResponse::Ok().json(ModelOut::from(find(&state, row.id).await?)))
}

/// Mounts the model routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(get_one).service(activate);
}
