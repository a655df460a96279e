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

use super::models::{ModelOut, find};
use crate::auth::Caller;
use crate::domain::{DomainError, ErrorCode};
use crate::http::error::ApiError;
use crate::policy::{self, Action};
use crate::state::AppState;

/// The model as the report reads it, once the caller may read predictions.
async fn reported(state: &AppState, caller: &Caller, id: Uuid) -> Result<ModelOut, ApiError> {
    policy::require(caller, Action::ReadPredictions)?;
    Ok(ModelOut::from(find(state, id).await?))
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

/// The numbers of the report page: the model with its metrics.
#[utoipa::path(tag = "models", params(("id" = Uuid, Path)),
    responses((status = 200, body = ModelOut), (status = 404, body = crate::http::error::Problem)))]
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
    let model = reported(&state, &caller, *id).await?;
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
