//! Operations endpoints: liveness, readiness and metrics (no authentication).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use rapport_migrations::{Migrator, MigratorTrait};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::DomainError;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Health status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, body = Status)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Readiness: the database answers and every migration is applied.
/// A 503 the client may retry in a few seconds.
fn unavailable(detail: String) -> ApiError {
    DomainError::Unavailable {
        detail,
        retry_after: 5,
    }
    .into()
}

/// The cause is logged; anyone may call `/readyz`, so the answer only says
/// `database unavailable`.
fn database_unavailable(what: &str, err: &sea_orm::DbErr) -> ApiError {
    tracing::warn!(error = %err, "readiness: {what}");
    unavailable("database unavailable".to_owned())
}

#[utoipa::path(tag = "operations", security(()),
    responses((status = 200, body = Status), (status = 503, body = crate::http::error::Problem)))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| database_unavailable("database unreachable", &e))?;
    let pending = Migrator::get_pending_migrations(&state.db)
        .await
        .map_err(|e| database_unavailable("cannot read migrations", &e))?;
    if pending.is_empty() {
        Ok(HttpResponse::Ok().json(Status { status: "ready" }))
    } else {
        Err(unavailable(format!(
            "{} migration(s) not applied",
            pending.len()
        )))
    }
}

/// Whether `req` carries `Authorization: Bearer <expected>`, compared by
/// digest so the comparison's time says nothing of the token.
fn bearer_matches(req: &HttpRequest, expected: &SecretString) -> bool {
    use sha2::{Digest, Sha256};
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(sent.as_bytes()) == Sha256::digest(expected.expose_secret().as_bytes())
}

/// Prometheus metrics: request counts and latency histograms per route and
/// status. Public unless `RAPPORT_METRICS_TOKEN` is set; then it needs
/// `Authorization: Bearer <that token>` (401 otherwise).
#[utoipa::path(tag = "operations", security(()),
    responses((status = 200, content_type = "text/plain", body = String),
        (status = 401, body = crate::http::error::Problem)))]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &state.metrics_token
        && !bearer_matches(&req, token)
    {
        return Err(
            DomainError::Unauthorized("`/metrics` needs its bearer token".to_owned()).into(),
        );
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()?))
}

/// Mounts the operations routes (at the root, outside the API base path).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
