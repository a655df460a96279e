//! `Idempotency-Key` on creating POSTs, stored in the database so every
//! replica sees it.
//!
//! The key row is inserted in the same transaction as the records the request
//! creates: a concurrent retry blocks on that insert until the first request
//! commits, then replays its response. A failed request rolls the key back
//! with everything else, so it can be retried with the same key.

use std::future::{Ready, ready};

use base64::Engine;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait,
    TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::domain::{DomainError, ErrorCode};
use crate::entities::idempotency_key;
use crate::http::error::ApiError;

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

/// An open transaction for a creating request, with its key row (if any).
pub struct Creation {
    /// The transaction every write of the request goes through.
    pub txn: DatabaseTransaction,
    key: Option<idempotency_key::Model>,
}

fn request_hash(body: &impl Serialize) -> Result<String, ApiError> {
    let bytes =
        serde_json::to_vec(body).map_err(|e| ApiError::Domain(DomainError::Internal(e.into())))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes)))
}

fn replay(
    stored: &idempotency_key::Model,
    scope: &str,
    hash: &str,
) -> Result<HttpResponse, ApiError> {
    if stored.scope != scope || stored.request_hash != hash {
        return Err(ApiError::Domain(DomainError::Unprocessable {
            code: ErrorCode::IdempotencyKeyReused,
            detail: "this Idempotency-Key was already used with a different request".to_owned(),
        }));
    }
    if stored.status == 0 {
        return Err(ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::IdempotencyKeyInUse,
            detail: "a request with this Idempotency-Key is still in progress".to_owned(),
        }));
    }
    let status = StatusCode::from_u16(stored.status as u16)
        .map_err(|e| anyhow::anyhow!("stored status {}: {e}", stored.status))?;
    let mut response = HttpResponse::build(status);
    response.insert_header((REPLAYED_HEADER, "true"));
    if let Some(location) = &stored.location {
        response.insert_header((header::LOCATION, location.as_str()));
    }
    response.insert_header((
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    ));
    Ok(response.body(stored.body.clone()))
}

async fn find(
    db: &DatabaseConnection,
    actor: &str,
    key: &str,
) -> Result<Option<idempotency_key::Model>, ApiError> {
    Ok(
        idempotency_key::Entity::find_by_id((actor.to_owned(), key.to_owned()))
            .one(db)
            .await?,
    )
}

/// Starts a creating request: replays a known key, or opens the transaction
/// and claims the key inside it. `scope` names the operation (method and route).
pub async fn begin(
    db: &DatabaseConnection,
    key: &IdempotencyKey,
    caller: &Caller,
    scope: &str,
    body: &impl Serialize,
) -> Result<Begun, ApiError> {
    let Some(key) = key.0.as_deref() else {
        return Ok(Begun::Fresh(Creation {
            txn: db.begin().await?,
            key: None,
        }));
    };
    let actor = caller.actor();
    let hash = request_hash(body)?;
    if let Some(stored) = find(db, &actor, key).await? {
        return replay(&stored, scope, &hash).map(Begun::Replay);
    }
    let txn = db.begin().await?;
    let row = idempotency_key::Model {
        actor: actor.clone(),
        key: key.to_owned(),
        scope: scope.to_owned(),
        request_hash: hash.clone(),
        status: 0,
        location: None,
        body: String::new(),
        created_at: Utc::now(),
    };
    let claimed = idempotency_key::ActiveModel::from(row.clone())
        .insert(&txn)
        .await;
    match claimed {
        Ok(_) => Ok(Begun::Fresh(Creation {
            txn,
            key: Some(row),
        })),
        Err(err) if err.sql_err().is_some() => {
            // A concurrent request with the same key committed first.
            txn.rollback().await?;
            match find(db, &actor, key).await? {
                Some(stored) => replay(&stored, scope, &hash).map(Begun::Replay),
                None => Err(err.into()),
            }
        }
        Err(err) => Err(err.into()),
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
        let json = serde_json::to_string(body)
            .map_err(|e| ApiError::Domain(DomainError::Internal(e.into())))?;
        if let Some(row) = self.key {
            let kept = serde_json::to_string(stored)
                .map_err(|e| ApiError::Domain(DomainError::Internal(e.into())))?;
            let mut active = idempotency_key::ActiveModel::from(row);
            active.status = Set(status.as_u16() as i16);
            active.location = Set(location.clone());
            active.body = Set(kept);
            active.update(&self.txn).await?;
        }
        self.txn.commit().await?;
        let mut response = HttpResponse::build(status);
        if let Some(location) = location {
            response.insert_header((header::LOCATION, location));
        }
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
        Ok(response.body(json))
    }
}
