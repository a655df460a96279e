//! Operations endpoints: liveness, readiness and metrics (no authentication).

use actix_web::{HttpResponse, get, web};
use rapport_migrations::{Migrator, MigratorTrait};
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

#[utoipa::path(tag = "operations", security(()),
    responses((status = 200, body = Status), (status = 503, body = crate::http::error::Problem)))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| unavailable(format!("database unreachable: {e}")))?;
    let pending = Migrator::get_pending_migrations(&state.db)
        .await
        .map_err(|e| unavailable(format!("cannot read migrations: {e}")))?;
    if pending.is_empty() {
        Ok(HttpResponse::Ok().json(Status { status: "ready" }))
    } else {
        Err(unavailable(format!(
            "{} migration(s) not applied",
            pending.len()
        )))
    }
}

/// Prometheus metrics: request counts and latency histograms per route and status.
#[utoipa::path(tag = "operations", security(()),
    responses((status = 200, content_type = "text/plain", body = String)))]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()?))
}

/// Mounts the operations routes (at the root, outside the API base path).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
