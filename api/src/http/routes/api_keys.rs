//! `/api-keys` (admin): keys for integrations, shown once, stored hashed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::entities::api_key::{self, Column};
use crate::http::error::ApiError;
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action, Role};
use crate::services::{Context, access_keys};
use crate::state::AppState;

/// A key to create.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    /// What the key is for (1-255 characters).
    pub name: String,
    /// The role the key acts with; defaults to `integration`; never `admin`.
    pub role: Option<Role>,
}

/// A key as listed (never the key itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    #[schema(value_type = Role)]
    pub role: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_key::Model> for ApiKeyOut {
    fn from(row: api_key::Model) -> Self {
        Self {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            role: row.role,
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// A new key: the only response that carries `key`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    /// Send as `Authorization: Bearer <key>`; shown once, store it now.
    /// Absent from the replay of an `Idempotency-Key` (the key is never
    /// stored in clear).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(flatten)]
    pub api_key: ApiKeyOut,
}

/// Filters of `GET /api-keys`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyFilters {
    /// Include revoked keys (default false).
    pub include_revoked: Option<bool>,
}

/// Create a key (admin); the response is the only time the key is shown.
/// Honours `Idempotency-Key`: a replay returns the key's details without the key.
#[utoipa::path(tag = "api-keys", request_body = ApiKeyInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = ApiKeyCreated, headers(("Location" = String))),
        (status = 422, body = crate::http::error::Problem)))]
#[post("/api-keys")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<ApiKeyInput>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ManageAccess)?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    let input = body.into_inner();
    let role = input.role.unwrap_or(Role::Integration);
    // Checked before the key is claimed, so a refused body claims nothing.
    access_keys::check(&input.name, role)?;
    let creation = match idempotency::begin(&state, &key, &caller, "POST /api-keys", &input).await?
    {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let issued = access_keys::issue(&ctx, &creation.txn, &input.name, role).await?;
    let (secret, row) = (issued.secret, issued.row);
    let location = format!("{BASE}/api-keys/{}", row.id);
    let listed = ApiKeyOut::from(row);
    let stored = ApiKeyCreated {
        key: None,
        api_key: listed.clone(),
    };
    let body = ApiKeyCreated {
        key: Some(secret),
        api_key: listed,
    };
    // The key is never stored in clear, not even for an idempotent replay.
    creation
        .finish_storing(StatusCode::CREATED, Some(location), &body, &stored)
        .await
}

/// List keys (admin), newest first by default.
#[utoipa::path(tag = "api-keys", params(ApiKeyFilters, PageParams),
    responses((status = 200, body = Page<ApiKeyOut>)))]
#[get("/api-keys")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<ApiKeyFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ManageAccess)?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", Column::CreatedAt)],
        "-created_at",
    )?;
    let mut select = api_key::Entity::find();
    if !filters.include_revoked.unwrap_or(false) {
        select = select.filter(Column::RevokedAt.is_null());
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    Ok(HttpResponse::Ok().json(rows.map(ApiKeyOut::from)))
}

/// Revoke a key (admin): it stops working at once. Revoking twice is harmless.
#[utoipa::path(tag = "api-keys", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem)))]
#[delete("/api-keys/{id}")]
async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ManageAccess)?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    access_keys::revoke(&ctx, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the API key routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create).service(list).service(revoke);
}
