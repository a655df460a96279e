//! `/webhooks` (admin, manager): endpoints that receive signed events, their
//! delivery log and manual redelivery.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::domain::EventType;
use crate::domain::webhook::{WebhookChanges, WebhookFields, WebhookRecord};
use crate::entities::webhook;
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::services::{Context, webhook_endpoints};
use crate::state::AppState;

/// A webhook to create.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/rapport", "events": ["customer.created", "interaction.created"], "description": "CRM sync"}))]
pub struct WebhookInput {
    /// http(s) URL; internal addresses are refused unless the server allows them.
    pub url: String,
    /// Event types to receive (1 or more of `customer.created`, `customer.updated`,
    /// `interaction.created`, `workflow.started`, `workflow.transitioned`, ...).
    #[schema(value_type = Vec<EventType>)]
    pub events: Vec<String>,
    pub description: Option<String>,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// Fields to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<EventType>>)]
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// A webhook as returned by the API (the secret only on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventType>,
    pub description: Option<String>,
    pub active: bool,
    /// `whsec_...`: shown once, on creation and on rotation. Verify
    /// `webhook-signature` with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookOut {
    fn new(record: WebhookRecord, secret: Option<String>) -> Self {
        Self {
            id: record.id,
            url: record.url,
            events: record.events,
            description: record.description,
            active: record.active,
            secret,
            version: record.version,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

fn ok_with_etag(record: WebhookRecord) -> HttpResponse {
    let version = record.version;
    with_etag(HttpResponse::Ok(), version).json(WebhookOut::new(record, None))
}

fn context<'a>(state: &'a AppState, caller: &'a Caller) -> Result<Context<'a>, ApiError> {
    let grant = policy::require(caller, Action::DefineWorkflows)?;
    Ok(Context::for_caller(&state.db, caller, grant, &state.models))
}

/// Register a webhook; the response carries its secret, shown only this once.
#[utoipa::path(tag = "webhooks", request_body = WebhookInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = WebhookOut, headers(("Location" = String))), (status = 422, body = crate::http::error::Problem)))]
#[post("/webhooks")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<WebhookInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let input = body.into_inner();
    let fields = WebhookFields {
        url: input.url.clone(),
        events: input.events.clone(),
        description: input.description.clone(),
        active: input.active,
    };
    // Checked before the key is claimed, so a refused body claims nothing.
    let row = webhook_endpoints::columns(&fields, &state.webhook_resolver).await?;
    let creation = match idempotency::begin(&state, &key, &caller, "POST /webhooks", &input).await?
    {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let created = webhook_endpoints::create(&ctx, &creation.txn, row, &state.master_key).await?;
    let location = format!("{BASE}/webhooks/{}", created.record.id);
    let body = WebhookOut::new(created.record, Some(created.secret));
    // The reply is kept sealed: a retry gets the secret again, a copy of
    // the database does not.
    creation
        .finish_sealed(
            StatusCode::CREATED,
            Some(location),
            &body,
            &state.master_key,
        )
        .await
}

/// List webhooks (no secrets).
#[utoipa::path(tag = "webhooks", params(PageParams), responses((status = 200, body = Page<WebhookOut>)))]
#[get("/webhooks")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    use webhook::Column;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", Column::CreatedAt)],
        "created_at",
    )?;
    let rows = fetch_page(&state.db, webhook::Entity::find(), sort, Column::Id, &page).await?;
    let rows =
        rows.try_map(|row| webhook_endpoints::record(row).map(|r| WebhookOut::new(r, None)))?;
    Ok(HttpResponse::Ok().json(rows))
}

/// One webhook (no secret); the `ETag` is its version.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = WebhookOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/webhooks/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    let row = webhook_endpoints::find(&state.db, *id).await?;
    Ok(ok_with_etag(webhook_endpoints::record(row)?))
}

/// Change a webhook's URL, events, description or activity (`If-Match` optional).
#[utoipa::path(tag = "webhooks", request_body = WebhookPatch, params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = WebhookOut), (status = 412, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[patch("/webhooks/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<WebhookPatch>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let patch = body.into_inner();
    let changes = WebhookChanges {
        url: patch.url,
        events: patch.events,
        description: patch.description,
        active: patch.active,
    };
    let resolver = &state.webhook_resolver;
    let updated = webhook_endpoints::update(&ctx, *id, &if_match, changes, resolver).await?;
    Ok(ok_with_etag(updated))
}

/// Give a webhook a new secret, returned only this once (`If-Match`
/// optional). For the overlap (`RAPPORT_WEBHOOK_SECRET_OVERLAP`, 24 h by
/// default) deliveries carry two signatures in `webhook-signature`, one per
/// secret, so that receivers can switch without losing a delivery.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = WebhookOut), (status = 404, body = crate::http::error::Problem),
        (status = 412, body = crate::http::error::Problem)))]
#[post("/webhooks/{id}/rotate-secret")]
async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let (key, overlap) = (&state.master_key, state.webhook_secret_overlap);
    let rotated = webhook_endpoints::rotate_secret(&ctx, *id, &if_match, key, overlap).await?;
    let version = rotated.record.version;
    Ok(with_etag(HttpResponse::Ok(), version)
        .insert_header(("Cache-Control", "no-store"))
        .json(WebhookOut::new(rotated.record, Some(rotated.secret))))
}

/// Delete a webhook and its delivery log (`If-Match` optional).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem),
        (status = 412, body = crate::http::error::Problem)))]
#[delete("/webhooks/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    webhook_endpoints::delete(&context(&state, &caller)?, *id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the webhook routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(rotate_secret)
        .service(remove);
}
