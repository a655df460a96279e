//! `/webhooks/{id}/deliveries`: the delivery log of a webhook (every
//! attempt's status code, latency and error) and manual redelivery.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::domain::{DeliveryStatus, StringEnum};
use crate::entities::{webhook_attempt, webhook_delivery};
use crate::http::error::ApiError;
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::services::{Context, records, webhook_endpoints};
use crate::state::AppState;

/// One HTTP attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    pub attempt: i32,
    /// Receiver's status code; null when no answer came.
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One event for one webhook, with its attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: Uuid,
    /// The `webhook-id` header, the same on every attempt.
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub log: Vec<AttemptOut>,
}

/// Filters of the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilters {
    #[param(value_type = Option<DeliveryStatus>)]
    pub status: Option<String>,
}

async fn with_attempts(
    db: &impl ConnectionTrait,
    rows: Vec<webhook_delivery::Model>,
) -> Result<Vec<DeliveryOut>, ApiError> {
    use webhook_attempt::Column;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut logs: HashMap<Uuid, Vec<AttemptOut>> = HashMap::new();
    for a in webhook_attempt::Entity::find()
        .filter(Column::DeliveryId.is_in(ids))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?
    {
        logs.entry(a.delivery_id).or_default().push(AttemptOut {
            attempt: a.attempt,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            created_at: a.created_at,
        });
    }
    rows.into_iter()
        .map(|d| {
            Ok(DeliveryOut {
                log: logs.remove(&d.id).unwrap_or_default(),
                next_attempt_at: (d.status == DeliveryStatus::Pending.as_str())
                    .then_some(d.next_attempt_at),
                id: d.id,
                event_id: d.event_id,
                event_type: d.event_type,
                status: records::stored("delivery status", &d.status)?,
                attempts: d.attempts,
                last_status_code: d.last_status_code,
                last_error: d.last_error,
                created_at: d.created_at,
            })
        })
        .collect()
}

/// The delivery log, newest first: each event with every attempt's status
/// code, latency and error.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), DeliveryFilters, PageParams),
    responses((status = 200, body = Page<DeliveryOut>), (status = 404, body = crate::http::error::Problem)))]
#[get("/webhooks/{id}/deliveries")]
async fn deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    filters: web::Query<DeliveryFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    use webhook_delivery::Column;
    let hook = webhook_endpoints::find(&state.db, *id).await?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", Column::CreatedAt)],
        "-created_at",
    )?;
    let mut select = webhook_delivery::Entity::find().filter(Column::WebhookId.eq(hook.id));
    if let Some(status) = &filters.status {
        let status = DeliveryStatus::parse(status)
            .map_err(|unknown| ApiError::invalid("status", unknown.to_string()))?;
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    let data = with_attempts(&state.db, rows.data).await?;
    Ok(HttpResponse::Ok().json(Page {
        data,
        next_cursor: rows.next_cursor,
    }))
}

/// Send a delivery again from a fresh attempt budget (409 while it is pending).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, body = DeliveryOut), (status = 404, body = crate::http::error::Problem), (status = 409, body = crate::http::error::Problem)))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::DefineWorkflows)?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    let (hook_id, delivery_id) = path.into_inner();
    let row = webhook_endpoints::redeliver(&ctx, hook_id, delivery_id).await?;
    let mut out = with_attempts(&state.db, vec![row]).await?;
    let out = out
        .pop()
        .ok_or_else(|| anyhow::anyhow!("delivery vanished"))?;
    Ok(HttpResponse::Accepted().json(out))
}

/// Mounts the delivery log routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(deliveries).service(redeliver);
}
