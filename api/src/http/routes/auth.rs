//! `/auth/login`, `/auth/refresh`, `/auth/logout` and `/me`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, refresh};
use crate::entities::user;
use crate::http::error::ApiError;
use crate::services::sessions;
use crate::state::AppState;
use crate::telemetry::RequestId;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@rapport.local", "password": "change me please"}))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A refresh token to rotate or revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A user as returned by the API (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    #[schema(value_type = crate::domain::Role)]
    pub role: String,
    pub department: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<user::Model> for UserOut {
    fn from(row: user::Model) -> Self {
        Self {
            id: row.id,
            email: row.email,
            name: row.name,
            role: row.role,
            department: row.department,
            active: row.active,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque, single-use token for `POST /auth/refresh`.
    pub refresh_token: String,
    pub user: UserOut,
}

fn session(
    state: &AppState,
    user: user::Model,
    refresh_token: String,
) -> Result<HttpResponse, ApiError> {
    let access_token = state.tokens.issue(
        user.id,
        &user.role,
        user.department.as_deref(),
        user.token_version,
    )?;
    // Tokens must not linger in a browser's or a proxy's cache (RFC 6749 §5.1).
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(LoginResponse {
            access_token,
            token_type: "Bearer",
            expires_in: state.tokens.ttl_seconds,
            refresh_token,
            user: user.into(),
        }))
}

/// Exchange e-mail and password for an access token and a refresh token.
/// Attempts are counted before the password is checked and limited per
/// account and per client address (an IPv6 address by its /64): 429 with
/// `Retry-After`. An e-mail over 254 or a password over 128 characters is
/// 422, and nothing is stored. When too many passwords are being checked at
/// once, 503 with `Retry-After`.
#[utoipa::path(tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse, headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, body = crate::http::error::Problem),
        (status = 422, body = crate::http::error::Problem),
        (status = 429, body = crate::http::error::Problem, headers(("Retry-After" = u64))),
        (status = 503, body = crate::http::error::Problem, headers(("Retry-After" = u64)))))]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let body = body.into_inner();
    let signed_in = sessions::login(
        &state.db,
        state.login_limits,
        state.refresh_ttl,
        &body.email,
        body.password,
        &address,
        RequestId::of(&req),
    )
    .await?;
    session(&state, signed_in.user, signed_in.refresh_token)
}

/// Rotate a refresh token: returns a new access token and a new refresh token.
/// Presenting a token that was already rotated revokes every token of its sign-in (401).
#[utoipa::path(tag = "auth", request_body = RefreshRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::http::error::Problem)))]
#[post("/auth/refresh")]
async fn refresh_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let (user, token) = refresh::rotate(
        &state.db,
        &body.refresh_token,
        state.refresh_ttl,
        RequestId::of(&req),
    )
    .await?;
    session(&state, user, token)
}

/// Sign out: revokes the refresh token and every token of the same sign-in.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, security(()),
    responses((status = 204), (status = 401, body = crate::http::error::Problem)))]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    sessions::logout(&state.db, &body.refresh_token, RequestId::of(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user (API keys have no user: 404).
#[utoipa::path(tag = "auth", responses((status = 200, body = UserOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/me")]
async fn me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let user = user::Entity::find_by_id(caller.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(HttpResponse::Ok().json(UserOut::from(user)))
}

/// Mounts the auth routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh_session)
        .service(logout)
        .service(me);
}
