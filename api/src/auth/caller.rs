//! The authenticated caller: who a bearer token (an access JWT, or an API
//! key `rpk_...`) stands for. The HTTP layer extracts it once per request.

use uuid::Uuid;

use super::api_keys;
use crate::domain::DomainError;
use crate::policy::Role;
use crate::state::AppState;

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
    /// The sign-in (refresh-token family) of an access token; `None` for
    /// an API key.
    pub session_id: Option<Uuid>,
    /// Whether the user must change a one-time password before anything
    /// but `/me` and `/me/password` (the HTTP extractor refuses them).
    pub must_change_password: bool,
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

fn parse_role(raw: &str) -> Result<Role, DomainError> {
    raw.parse().map_err(|e| DomainError::corrupt("role", e))
}

/// The caller a bearer token (an access JWT or an API key) stands for.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, DomainError> {
    if token.starts_with(api_keys::PREFIX) {
        let key = api_keys::authenticate(&state.db, token).await?;
        return Ok(Caller {
            user_id: key.id,
            role: parse_role(&key.role)?,
            department: None,
            api_key: true,
            session_id: None,
            must_change_password: false,
            request_id: None,
        });
    }
    let claims = state.tokens.verify(token)?;
    // The token alone is not enough: a deactivated user, a bumped token
    // version or a revoked sign-in (signed out, a replayed refresh token,
    // a password change elsewhere) revokes it (see `UserStates` and
    // `SessionStates` for when that takes effect).
    let revoked = || DomainError::Unauthorized("the token has been revoked".to_owned());
    let user = state
        .user_states
        .get(&state.db, claims.sub)
        .await?
        .filter(|u| u.active && u.token_version == claims.ver)
        .ok_or_else(revoked)?;
    if !state.sessions.live(&state.db, claims.sid).await? {
        return Err(revoked());
    }
    Ok(Caller {
        user_id: claims.sub,
        role: parse_role(&user.role)?,
        department: user.department,
        api_key: false,
        session_id: Some(claims.sid),
        must_change_password: user.must_change_password,
        request_id: None,
    })
}
