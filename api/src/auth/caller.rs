//! The authenticated caller, extracted once per request from the bearer token.

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::entities::user;
use crate::error::ApiError;
use crate::policy::Role;
use crate::state::AppState;

/// Who is making the request. Taking a `Caller` argument makes a handler
/// require authentication; what the caller may do is asked of [`crate::policy`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user's id.
    pub user_id: Uuid,
    /// The user's role.
    pub role: Role,
    /// The user's department, if any.
    pub department: Option<String>,
}

impl Caller {
    /// Stable identifier of the actor, used to scope idempotency keys.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user_id)
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".to_owned()))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".to_owned()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_owned())
        }
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <token>`".to_owned(),
        )),
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("application state missing"))?;
            let claims = state.tokens.verify(&token?)?;
            // The token alone is not enough: a deactivated user or a bumped
            // token version revokes it at the next request.
            let user = user::Entity::find_by_id(claims.sub)
                .one(&state.db)
                .await?
                .filter(|u| u.active && u.token_version == claims.ver)
                .ok_or_else(|| ApiError::Unauthorized("the token has been revoked".to_owned()))?;
            let role = user
                .role
                .parse()
                .map_err(|_| anyhow::anyhow!("user {} has unknown role {}", user.id, user.role))?;
            Ok(Caller {
                user_id: user.id,
                role,
                department: user.department,
            })
        })
    }
}
