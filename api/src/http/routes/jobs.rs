//! `/jobs`: training jobs and their progress.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::domain::JobStatus;
use crate::entities::job::{self, Column};
use crate::http::error::ApiError;
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::state::AppState;

/// A training job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobOut {
    pub id: Uuid,
    /// `train` or `tune`.
    pub kind: String,
    /// The engine trained or tuned (`auto`: every recommender).
    pub engine: String,
    #[schema(value_type = Object)]
    pub params: Value,
    pub activate: bool,
    #[schema(value_type = crate::domain::JobStatus)]
    pub status: String,
    /// 0.0 to 1.0.
    pub progress: f64,
    pub stage: Option<String>,
    /// The trained model, once succeeded.
    pub model_id: Option<Uuid>,
    pub error: Option<String>,
    /// What a finished tuning job decided: `activated`,
    /// `activate_if_better` and the `decision` (`promote`, `reason`, the
    /// winner's and the active model's validation metric).
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<Value>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<job::Model> for JobOut {
    fn from(row: job::Model) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            engine: row.engine,
            params: row.params,
            activate: row.activate,
            status: row.status,
            progress: row.progress,
            stage: row.stage,
            model_id: row.model_id,
            error: row.error,
            outcome: row.outcome,
            attempts: row.attempts,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
        }
    }
}

/// Filters of `GET /jobs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobFilters {
    pub status: Option<JobStatus>,
    pub engine: Option<String>,
}

const SORTABLE: &[(&str, Column)] = &[("created_at", Column::CreatedAt)];

/// Training jobs, newest first.
#[utoipa::path(tag = "models", params(JobFilters, PageParams), responses((status = 200, body = Page<JobOut>)))]
#[get("/jobs")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<JobFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "-created_at")?;
    let mut select = job::Entity::find();
    if let Some(status) = filters.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(engine) = &filters.engine {
        select = select.filter(Column::Engine.eq(engine.as_str()));
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    Ok(HttpResponse::Ok().json(rows.map(JobOut::from)))
}

/// One job: status, progress, the model it produced or its error.
#[utoipa::path(tag = "models", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/jobs/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let row = job::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))?;
    Ok(HttpResponse::Ok().json(JobOut::from(row)))
}

/// Mounts the job routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(get_one);
}
