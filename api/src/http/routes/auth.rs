//! `/auth/login`, `/auth/refresh`, `/auth/logout`, `/me` and `/me/password`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::refresh::{self, Issued, Rotation};
use crate::domain::user::PasswordChange;
use crate::entities::user;
use crate::http::error::ApiError;
use crate::http::extract::SelfService;
use crate::services::sessions::{self, ChangeContext, Credentials};
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

/// A new password for the signed-in user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// The password the user signs in with now.
    pub current_password: String,
    /// 12 to 128 characters, unlike the current one.
    pub new_password: String,
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
    /// The user signed in with a one-time password: until they change it
    /// (`POST /me/password`), every route but `/me`, `/me/password` and
    /// signing in and out answers 403 `password_change_required`.
    pub must_change_password: bool,
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
            must_change_password: row.must_change_password,
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

fn session(state: &AppState, issued: Issued) -> Result<HttpResponse, ApiError> {
    let Issued {
        user,
        refresh_token,
        issue,
    } = issued;
    let access_token = state.tokens.issue(
        user.id,
        &user.role,
        user.department.as_deref(),
        user.token_version,
        issue,
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

/// The client's address, as the failed sign-in limit counts it.
fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Exchange e-mail and password for an access token and a refresh token.
/// A user with a one-time password gets `user.must_change_password: true`
/// and must change it (`POST /me/password`) before using anything else.
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
    let address = client_address(&req);
    let body = body.into_inner();
    let signed_in = sessions::login(
        &state.db,
        &state.tokens,
        state.login_limits,
        state.refresh_ttl,
        Credentials {
            email: &body.email,
            password: body.password,
            address: &address,
        },
        RequestId::of(&req),
    )
    .await?;
    session(&state, signed_in)
}

/// Rotate a refresh token: returns a new access token and a new refresh token.
/// The same token presented again within `RAPPORT_REFRESH_GRACE` seconds
/// of its rotation (two tabs, a retry) gets the same pair again; later,
/// presenting a token that was already rotated revokes every token of its
/// sign-in, access tokens included (401).
#[utoipa::path(tag = "auth", request_body = RefreshRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::http::error::Problem)))]
#[post("/auth/refresh")]
async fn refresh_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let rotation = Rotation {
        keys: &state.tokens,
        sessions: &state.sessions,
        ttl_seconds: state.refresh_ttl,
        grace: chrono::Duration::seconds(state.refresh_grace),
    };
    let issued = refresh::rotate(
        &state.db,
        rotation,
        &body.refresh_token,
        RequestId::of(&req),
    )
    .await?;
    session(&state, issued)
}

/// Sign out: revokes the refresh token and every token of the same sign-in,
/// its access tokens included.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, security(()),
    responses((status = 204), (status = 401, body = crate::http::error::Problem)))]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    sessions::logout(
        &state.db,
        &state.sessions,
        &body.refresh_token,
        RequestId::of(&req),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user (API keys have no user: 404). Works while a one-time
/// password is still to be changed.
#[utoipa::path(tag = "auth", responses((status = 200, body = UserOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/me")]
async fn me(
    state: web::Data<AppState>,
    SelfService(caller): SelfService,
) -> Result<HttpResponse, ApiError> {
    let user = user::Entity::find_by_id(caller.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(HttpResponse::Ok().json(UserOut::from(user)))
}

/// Change the signed-in user's password (not an API key's: 403). The new
/// password follows the rules of any password (422 naming `new_password`);
/// a wrong `current_password` is 422 naming it and counts as a failed
/// sign-in of the account (429 with `Retry-After` past the limit). Lifts a
/// one-time password requirement and revokes every other sign-in of the
/// user with its access tokens; this one stays signed in.
#[utoipa::path(tag = "auth", request_body = PasswordChangeRequest,
    responses((status = 204, description = "Changed; the user's other sign-ins are revoked"),
        (status = 422, body = crate::http::error::Problem),
        (status = 429, body = crate::http::error::Problem, headers(("Retry-After" = u64))),
        (status = 503, body = crate::http::error::Problem, headers(("Retry-After" = u64)))))]
#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    SelfService(caller): SelfService,
    body: web::Json<PasswordChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let change = PasswordChange {
        current_password: body.current_password,
        new_password: body.new_password,
    };
    let address = client_address(&req);
    let context = ChangeContext {
        limits: state.login_limits,
        address: &address,
        users: &state.user_states,
        sessions: &state.sessions,
    };
    sessions::change_own_password(&state.db, &caller, change, context).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the auth routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login)
        .service(refresh_session)
        .service(logout)
        .service(me)
        .service(change_password);
}
