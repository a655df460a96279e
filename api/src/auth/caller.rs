//! The authenticated caller, extracted once per request from the bearer
//! token: an access JWT, or an API key (`rpk_...`).

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::api_keys;
use crate::error::ApiError;
use crate::policy::Role;
use crate::state::AppState;
use crate::telemetry::RequestId;

/// Who is making the request. Taking a `Caller` argument makes a handler
/// require authentication; what the caller may do is asked of [`crate::policy`].
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user's id, or the API key's id when `api_key` is set (a key owns
    /// no customer).
    pub user_id: Uuid,
    /// The role of the user or key.
    pub role: Role,
    /// The user's department, if any.
    pub department: Option<String>,
    /// Whether the caller authenticated with an API key.
    pub api_key: bool,
    /// The request id, recorded in the audit log.
    pub request_id: Option<String>,
}

impl Caller {
    /// Stable identifier of the actor (`user:<id>` or `key:<id>`), used to
    /// scope idempotency keys and in the audit log.
    pub fn actor(&self) -> String {
        let kind = if self.api_key { "key" } else { "user" };
        format!("{kind}:{}", self.user_id)
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

fn parse_role(raw: &str) -> Result<Role, ApiError> {
    raw.parse()
        .map_err(|e: String| ApiError::Internal(anyhow::anyhow!("stored role: {e}")))
}

async fn from_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    if token.starts_with(api_keys::PREFIX) {
        let key = api_keys::authenticate(&state.db, token).await?;
        return Ok(Caller {
            user_id: key.id,
            role: parse_role(&key.role)?,
            department: None,
            api_key: true,
            request_id: None,
        });
    }
    let claims = state.tokens.verify(token)?;
    // The token alone is not enough: a deactivated user or a bumped token
    // version revokes it (see `UserStates` for when that takes effect).
    let user = state
        .user_states
        .get(&state.db, claims.sub)
        .await?
        .filter(|u| u.active && u.token_version == claims.ver)
        .ok_or_else(|| ApiError::Unauthorized("the token has been revoked".to_owned()))?;
    Ok(Caller {
        user_id: claims.sub,
        role: parse_role(&user.role)?,
        department: user.department,
        api_key: false,
        request_id: None,
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("application state missing"))?;
            let mut caller = from_token(&state, &token?).await?;
            caller.request_id = request_id;
            Ok(caller)
        })
    }
}
