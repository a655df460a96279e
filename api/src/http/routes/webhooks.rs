//! `/webhooks` (admin, manager): endpoints that receive signed events, their
//! delivery log and manual redelivery.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::domain::validation::{Checks, LONG_TEXT, tag_index};
use crate::domain::{EventType, StringEnum};
use crate::entities::webhook;
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::services::events;
use crate::services::records::update_if_version;
use crate::state::AppState;
use crate::webhooks::{guard, signature};

/// A webhook to create.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// http(s) URL; internal addresses are refused unless the server allows them.
    pub url: String,
    /// Event types to receive (1 or more of `customer.created`, `customer.updated`,
    /// `interaction.created`, `workflow.started`, `workflow.transitioned`, ...).
    #[schema(value_type = Vec<crate::domain::EventType>)]
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
    #[schema(value_type = Option<Vec<crate::domain::EventType>>)]
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// A webhook as returned by the API (the secret only on creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    #[schema(value_type = Vec<crate::domain::EventType>)]
    pub events: Vec<String>,
    pub description: Option<String>,
    pub active: bool,
    /// `whsec_...`: shown once, on creation. Verify `webhook-signature` with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookOut {
    fn new(row: webhook::Model, show_secret: bool) -> Self {
        Self {
            id: row.id,
            url: row.url,
            events: serde_json::from_value(row.events).unwrap_or_default(),
            description: row.description,
            active: row.active,
            secret: show_secret.then_some(row.secret),
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

async fn check(
    state: &AppState,
    url: &str,
    events: &[String],
    description: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let mut checks = Checks::default();
    checks.opt_text("description", description, LONG_TEXT);
    if events.is_empty() || events.len() > EventType::ALL.len() {
        checks.fail("events", "give 1 or more event types");
    }
    for (i, event) in events.iter().enumerate() {
        if let Err(unknown) = EventType::parse(event) {
            checks.fail(format!("events[{i}]"), unknown.to_string());
        }
    }
    let allow = state.webhook_allow_private;
    match guard::check_url(url, allow) {
        Ok(parsed) => {
            if let Err(reason) = guard::check_resolved(&parsed, allow).await {
                checks.fail("url", reason);
            }
        }
        Err(reason) => checks.fail("url", reason),
    }
    checks.finish()?;
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    Ok(events)
}

/// No snapshot, for creations and deletions.
const NONE: Option<&WebhookOut> = None;

/// A webhook, or 404.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<webhook::Model, ApiError> {
    webhook::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))
}

fn ok_with_etag(row: webhook::Model) -> HttpResponse {
    let version = row.version;
    with_etag(HttpResponse::Ok(), version).json(WebhookOut::new(row, false))
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
    policy::require(&caller, Action::DefineWorkflows)?;
    let input = body.into_inner();
    let events = check(
        &state,
        &input.url,
        &input.events,
        input.description.as_deref(),
    )
    .await?;
    let creation =
        match idempotency::begin(&state.db, &key, &caller, "POST /webhooks", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let now = Utc::now();
    let row = webhook::Model {
        id: Uuid::now_v7(),
        url: input.url,
        description: input.description,
        event_index: tag_index(&events),
        events: serde_json::Value::from(events),
        secret: signature::new_secret(),
        active: input.active.unwrap_or(true),
        version: 1,
        created_by: Some(caller.user_id),
        created_at: now,
        updated_at: now,
    };
    let row = webhook::Entity::insert(webhook::ActiveModel::from(row))
        .exec_with_returning(&creation.txn)
        .await?;
    let after = WebhookOut::new(row.clone(), false);
    let (action, id) = ("webhook.create", row.id);
    events::audit_config(
        &creation.txn,
        &caller,
        action,
        "webhook",
        id,
        NONE,
        Some(&after),
    )
    .await?;
    let location = format!("{BASE}/webhooks/{}", row.id);
    creation
        .finish(
            StatusCode::CREATED,
            Some(location),
            &WebhookOut::new(row, true),
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
    Ok(HttpResponse::Ok().json(rows.map(|r| WebhookOut::new(r, false))))
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
    Ok(ok_with_etag(find(&state.db, *id).await?))
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
    policy::require(&caller, Action::DefineWorkflows)?;
    let current = find(&state.db, *id).await?;
    if_match.check(current.version)?;
    let patch = body.into_inner();
    let url = patch.url.unwrap_or(current.url.clone());
    let description = patch.description.or(current.description.clone());
    let events = match patch.events {
        Some(events) => events,
        None => serde_json::from_value(current.events.clone()).unwrap_or_default(),
    };
    let events = check(&state, &url, &events, description.as_deref()).await?;
    let changes = webhook::ActiveModel {
        url: Set(url),
        description: Set(description),
        event_index: Set(tag_index(&events)),
        events: Set(serde_json::Value::from(events)),
        active: Set(patch.active.unwrap_or(current.active)),
        version: Set(current.version + 1),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    use webhook::Column;
    let txn = state.db.begin().await?;
    update_if_version::<webhook::Entity, _>(
        &txn,
        changes,
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    let updated = find(&txn, current.id).await?;
    let (before, after) = (
        WebhookOut::new(current, false),
        WebhookOut::new(updated.clone(), false),
    );
    events::audit_config(
        &txn,
        &caller,
        "webhook.update",
        "webhook",
        updated.id,
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(ok_with_etag(updated))
}

/// Delete a webhook and its delivery log.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem)))]
#[delete("/webhooks/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    let current = find(&state.db, *id).await?;
    let txn = state.db.begin().await?;
    webhook::Entity::delete_by_id(current.id).exec(&txn).await?;
    let (id, before) = (current.id, WebhookOut::new(current, false));
    events::audit_config(
        &txn,
        &caller,
        "webhook.delete",
        "webhook",
        id,
        Some(&before),
        NONE,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the webhook routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove);
}
