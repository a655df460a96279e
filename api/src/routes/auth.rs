//! `/auth/login` and `/me`.

use std::sync::OnceLock;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Caller, password};
use crate::entities::user;
use crate::error::ApiError;
use crate::state::AppState;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
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

/// Exchange e-mail and password for an access token.
#[utoipa::path(tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::Problem)))]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Email))).eq(email))
        .one(&state.db)
        .await?;
    let password = body.password.clone();
    let (found, valid) = web::block(move || {
        let stored: Option<&str> = match &found {
            Some(user) => Some(user.password_hash.as_str()),
            None => decoy_hash(),
        };
        let valid = match stored {
            Some(stored) => password::verify(&password, stored),
            None => Ok(false),
        };
        (found, valid)
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check: {e}"))?;
    let valid = valid?;
    let user = match found {
        Some(user) if valid && user.active => user,
        _ => {
            return Err(ApiError::Unauthorized(
                "invalid e-mail or password".to_owned(),
            ));
        }
    };
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
        user: user.into(),
    }))
}

/// The signed-in user.
#[utoipa::path(tag = "auth", responses((status = 200, body = UserOut)))]
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
    cfg.service(login).service(me);
}
