//! `Idempotency-Key` on creating POSTs: the header, and the responses kept
//! and replayed by [`crate::services::idempotency`].

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, dev::Payload};
use serde::Serialize;

use crate::auth::Caller;
use crate::domain::{DomainError, ErrorCode};
use crate::http::error::ApiError;
use crate::secrets::MasterKey;
use crate::services::idempotency::{self, Claim, Claimed, StoredResponse};
use crate::state::AppState;

/// Header carrying the key.
pub const HEADER: &str = "Idempotency-Key";
/// Header set on a replayed response.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
const MAX_KEY_LENGTH: usize = 255;

/// The request's `Idempotency-Key`, if any.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(Option<String>);

impl IdempotencyKey {
    /// No key: for creations that are idempotent by nature (upserts).
    pub fn none() -> Self {
        Self(None)
    }
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bad = |detail: &str| ApiError::BadRequest {
            code: ErrorCode::InvalidHeader,
            detail: detail.to_owned(),
        };
        ready(match req.headers().get(HEADER) {
            None => Ok(Self(None)),
            Some(value) => match value.to_str() {
                Ok(key) if !key.is_empty() && key.len() <= MAX_KEY_LENGTH => {
                    Ok(Self(Some(key.to_owned())))
                }
                Ok(_) => Err(bad("Idempotency-Key must be 1 to 255 characters")),
                Err(_) => Err(bad("Idempotency-Key must be visible ASCII")),
            },
        })
    }
}

/// What a creating handler gets from [`begin`].
pub enum Begun {
    /// The key was used before with the same request: send this response again.
    Replay(HttpResponse),
    /// A new request: create inside `txn`, then [`Creation::finish`].
    Fresh(Creation),
}

/// An open transaction for a creating request, with its key's claim (if
/// any): every write of the request goes through its `txn`.
pub struct Creation(Claimed);

impl std::ops::Deref for Creation {
    type Target = Claimed;

    fn deref(&self) -> &Claimed {
        &self.0
    }
}

fn to_json(value: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::Domain(DomainError::Internal(e.into())))
}

fn json_response(
    mut response: HttpResponseBuilder,
    location: Option<String>,
    body: String,
) -> HttpResponse {
    if let Some(location) = location {
        response.insert_header((header::LOCATION, location));
    }
    response.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ));
    response.body(body)
}

fn replay(stored: StoredResponse) -> Result<HttpResponse, ApiError> {
    let status = StatusCode::from_u16(stored.status)
        .map_err(|e| anyhow::anyhow!("stored status {}: {e}", stored.status))?;
    let mut response = HttpResponse::build(status);
    response.insert_header((REPLAYED_HEADER, "true"));
    Ok(json_response(response, stored.location, stored.body))
}

/// Starts a creating request: replays a known key, or opens the transaction
/// and claims the key inside it. `scope` names the operation (method and route).
pub async fn begin(
    state: &AppState,
    key: &IdempotencyKey,
    caller: &Caller,
    scope: &str,
    body: &impl Serialize,
) -> Result<Begun, ApiError> {
    let (db, master_key) = (&state.db, &state.master_key);
    match idempotency::claim(
        db,
        master_key,
        key.0.as_deref(),
        &caller.actor(),
        scope,
        body,
    )
    .await?
    {
        Claim::Replay(stored) => replay(stored).map(Begun::Replay),
        Claim::Fresh(claimed) => Ok(Begun::Fresh(Creation(claimed))),
    }
}

impl Creation {
    /// Records the response under the key (if any), commits, and returns
    /// `status` with `Location` (when given) and the JSON body.
    pub async fn finish(
        self,
        status: StatusCode,
        location: Option<String>,
        body: &impl Serialize,
    ) -> Result<HttpResponse, ApiError> {
        self.finish_storing(status, location, body, body).await
    }

    /// As [`Creation::finish`], but a replay gets `stored` instead of `body`:
    /// for responses carrying a secret that must not be kept in clear.
    pub async fn finish_storing(
        self,
        status: StatusCode,
        location: Option<String>,
        body: &impl Serialize,
        stored: &impl Serialize,
    ) -> Result<HttpResponse, ApiError> {
        let (sent, kept) = (to_json(body)?, to_json(stored)?);
        self.keep_and_commit(status, location.clone(), kept).await?;
        Ok(json_response(HttpResponse::build(status), location, sent))
    }

    /// As [`Creation::finish`], but the reply is kept sealed with
    /// `master_key` (opened again on replay): for responses whose secret a
    /// retry must get again.
    pub async fn finish_sealed(
        self,
        status: StatusCode,
        location: Option<String>,
        body: &impl Serialize,
        master_key: &MasterKey,
    ) -> Result<HttpResponse, ApiError> {
        let sent = to_json(body)?;
        let kept = master_key.seal(&sent).map_err(DomainError::Internal)?;
        self.keep_and_commit(status, location.clone(), kept).await?;
        Ok(json_response(HttpResponse::build(status), location, sent))
    }

    async fn keep_and_commit(
        self,
        status: StatusCode,
        location: Option<String>,
        kept: String,
    ) -> Result<(), ApiError> {
        self.0
            .complete(StoredResponse {
                status: status.as_u16(),
                location,
                body: kept,
            })
            .await?;
        Ok(())
    }
}
