//! `GET /models/{id}/report`: a model's offline figures as a page people
//! read (charts drawn server-side as inline SVG, no scripts, nothing loaded
//! from elsewhere), `GET /models/{id}/report.json`, the same figures, and
//! `GET /models/{id}/rules`, a tree's rule per leaf.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::experiments::{ResultsOut, results_of};
use super::models::{ModelOut, find};
use super::online_metrics::{OnlineMetrics, last_month};
use crate::auth::Caller;
use crate::domain::{DomainError, ErrorCode};
use crate::http::error::ApiError;
use crate::ml::{EngineKind, engine_kind};
use crate::policy::{self, Action};
use crate::services::experiments;
use crate::state::AppState;

/// A model with what its served lists led to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportOut {
    #[serde(flatten)]
    pub model: ModelOut,
    /// The last 30 days of online metrics, per day (recommenders).
    pub online: Option<OnlineMetrics>,
    /// The results of the experiments whose arms served this model.
    pub experiments: Vec<ResultsOut>,
}

/// The model as the report reads it, once the caller may read predictions:
/// with its online metrics and experiments when it is a recommender.
async fn reported(state: &AppState, caller: &Caller, id: Uuid) -> Result<ReportOut, ApiError> {
    policy::require(caller, Action::ReadPredictions)?;
    let model = ModelOut::from(find(state, id).await?);
    if engine_kind(&model.engine) != Some(EngineKind::Recommender) {
        return Ok(ReportOut {
            model,
            online: None,
            experiments: Vec::new(),
        });
    }
    let online = last_month(state, id).await?;
    let mut experiments = Vec::new();
    for found in experiments::served(&state.db, id, &model.engine, model.active).await? {
        experiments.push(results_of(state, &found, "purchase").await?);
    }
    Ok(ReportOut {
        model,
        online: Some(online),
        experiments,
    })
}

/// The report page of a model: for scorers ROC and precision-recall curves,
/// the reliability diagram, gains and lift, importance and contributions,
/// calibration, tiers and fairness tables; for recommenders precision,
/// recall and NDCG at k = 1..20, coverage and popularity bias.
#[utoipa::path(tag = "models", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/html", body = String, description = "the report page"),
        (status = 404, body = crate::http::error::Problem)))]
#[get("/models/{id}/report")]
async fn page(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let model = reported(&state, &caller, *id).await?;
    let json = serde_json::to_value(&model).map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(rapport_report::render_html(&json)))
}

/// The numbers of the report page: the model with its metrics, and for a
/// recommender its online metrics and experiments.
#[utoipa::path(tag = "models", params(("id" = Uuid, Path)),
    responses((status = 200, body = ReportOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/models/{id}/report.json")]
async fn figures(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(reported(&state, &caller, *id).await?))
}

/// A tree model's rules, one per leaf.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesOut {
    pub model_id: Uuid,
    /// Per leaf: `conditions`, `probability` of the label, training rows
    /// (`customers`) and the rule as `text`, e.g.
    /// `contract = month-to-month AND tenure < 6.5 -> 61 % churn (412 customers)`.
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
}

/// The rule of every leaf of a `tree` model, as business users read it.
#[utoipa::path(tag = "models", params(("id" = Uuid, Path)),
    responses((status = 200, body = RulesOut), (status = 404, body = crate::http::error::Problem),
        (status = 409, body = crate::http::error::Problem, description = "not a tree model (`no_rules`)")))]
#[get("/models/{id}/rules")]
async fn rules(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let model = ModelOut::from(find(&state, *id).await?);
    let rules = model.metrics.get("rules").cloned().ok_or_else(|| {
        ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::NoRules,
            detail: format!("`{}` models export no rules; train `tree`", model.engine),
        })
    })?;
    Ok(HttpResponse::Ok().json(RulesOut {
        model_id: model.id,
        rules,
    }))
}

/// Mounts the report routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(page).service(figures).service(rules);
}
