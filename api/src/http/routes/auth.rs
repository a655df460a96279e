//! `/auth/login`, `/auth/refresh`, `/auth/logout` and `/me`.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, accounts, password, rate_limit, refresh};
use crate::domain::DomainError;
use crate::entities::user;
use crate::http::error::ApiError;
use crate::services::audit::{self, Actor, Event};
use crate::state::AppState;
use crate::telemetry::RequestId;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

/// A valid hash checked when the e-mail is unknown, so both failures take
/// the same time.
fn decoy_hash() -> Option<&'static str> {
    static DECOY: OnceLock<Option<String>> = OnceLock::new();
    DECOY
        .get_or_init(|| password::hash("decoy password for timing").ok())
        .as_deref()
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
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_seconds,
        refresh_token,
        user: user.into(),
    }))
}

/// Whether `password` is the password of `found` (a decoy is checked when no user was found).
async fn password_matches(found: Option<&user::Model>, password: String) -> Result<bool, ApiError> {
    let stored = found.map(|u| u.password_hash.clone());
    web::block(move || {
        let hash = match &stored {
            Some(hash) => Some(hash.as_str()),
            None => decoy_hash(),
        };
        match hash {
            Some(hash) => password::verify(&password, hash),
            None => Ok(false),
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check: {e}"))?
    .map_err(ApiError::from)
}

/// Exchange e-mail and password for an access token and a refresh token.
/// Failures are limited per account and per client address (429 with `Retry-After`).
#[utoipa::path(tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::http::error::Problem),
        (status = 429, body = crate::http::error::Problem, headers(("Retry-After" = u64)))))]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = accounts::normalise_email(&body.email);
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let request_id = RequestId::of(&req);
    rate_limit::check(&state.db, state.login_limits, &email, &address).await?;
    let found = user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Email))).eq(email.clone()))
        .one(&state.db)
        .await?;
    let valid = password_matches(found.as_ref(), body.password.clone()).await?;
    let user = match found {
        Some(user) if valid && user.active => user,
        other => {
            let txn = state.db.begin().await?;
            rate_limit::record_failure(&txn, state.login_limits, &email, &address).await?;
            let event = Event::new("auth.login_failed", "user", other.map(|u| u.id));
            audit::record(&txn, &Actor::anonymous(request_id), event).await?;
            txn.commit().await?;
            return Err(ApiError::Domain(DomainError::Unauthorized(
                "invalid e-mail or password".to_owned(),
            )));
        }
    };
    let txn = state.db.begin().await?;
    rate_limit::clear(&txn, &email).await?;
    let token = refresh::issue(&txn, user.id, Uuid::now_v7(), state.refresh_ttl).await?;
    let actor = Actor::user(user.id, request_id);
    audit::record(
        &txn,
        &actor,
        Event::new("auth.login", "user", Some(user.id)),
    )
    .await?;
    txn.commit().await?;
    session(&state, user, token)
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
    let row = refresh::find(&state.db, &body.refresh_token).await?;
    let txn = state.db.begin().await?;
    refresh::revoke_family(&txn, row.family_id).await?;
    let actor = Actor::user(row.user_id, RequestId::of(&req));
    audit::record(
        &txn,
        &actor,
        Event::new("auth.logout", "user", Some(row.user_id)),
    )
    .await?;
    txn.commit().await?;
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
