//! Idempotency keys, stored in the database so every replica sees them.
//!
//! The key row is inserted in the same transaction as the records the request
//! creates: a concurrent retry blocks on that insert until the first request
//! commits, then replays its response. A failed request rolls the key back
//! with everything else, so it can be retried with the same key.

use base64::Engine;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DatabaseTransaction, EntityTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::{DomainError, ErrorCode};
use crate::entities::idempotency_key;
use crate::secrets::{MasterKey, is_sealed};

/// The response first given to a key, to send again.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// Its HTTP status.
    pub status: u16,
    /// Its `Location`, if any.
    pub location: Option<String>,
    /// Its JSON body.
    pub body: String,
}

/// What [`claim`] found.
pub enum Claim {
    /// The key was used before with the same request.
    Replay(StoredResponse),
    /// A new request: write inside `txn`, then [`Claimed::complete`].
    Fresh(Claimed),
}

/// An open transaction for a creating request, holding its key row (if any).
pub struct Claimed {
    /// The transaction every write of the request goes through.
    pub txn: DatabaseTransaction,
    key: Option<idempotency_key::Model>,
}

/// The fingerprint of a request body.
fn request_hash(body: &impl Serialize) -> Result<String, DomainError> {
    let bytes = serde_json::to_vec(body).map_err(|e| DomainError::Internal(e.into()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes)))
}

fn replay(
    stored: &idempotency_key::Model,
    scope: &str,
    hash: &str,
    master_key: &MasterKey,
) -> Result<StoredResponse, DomainError> {
    if stored.scope != scope || stored.request_hash != hash {
        return Err(DomainError::Unprocessable {
            code: ErrorCode::IdempotencyKeyReused,
            detail: "this Idempotency-Key was already used with a different request".to_owned(),
        });
    }
    if stored.status == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::IdempotencyKeyInUse,
            detail: "a request with this Idempotency-Key is still in progress".to_owned(),
        });
    }
    let status = u16::try_from(stored.status)
        .map_err(|e| anyhow::anyhow!("stored status {}: {e}", stored.status))?;
    let body = if is_sealed(&stored.body) {
        master_key.open(&stored.body)?
    } else {
        stored.body.clone()
    };
    Ok(StoredResponse {
        status,
        location: stored.location.clone(),
        body,
    })
}

async fn find(
    db: &DatabaseConnection,
    actor: &str,
    key: &str,
) -> Result<Option<idempotency_key::Model>, DomainError> {
    Ok(
        idempotency_key::Entity::find_by_id((actor.to_owned(), key.to_owned()))
            .one(db)
            .await?,
    )
}

/// Starts a creating request of `actor` with `key` (if any) on operation
/// `scope`: the stored response of a known key, or a transaction that holds
/// the key's claim. A sealed stored reply is opened with `master_key`.
pub async fn claim(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    key: Option<&str>,
    actor: &str,
    scope: &str,
    body: &impl Serialize,
) -> Result<Claim, DomainError> {
    let Some(key) = key else {
        return Ok(Claim::Fresh(Claimed {
            txn: crate::db::begin_write(db).await?,
            key: None,
        }));
    };
    let hash = request_hash(body)?;
    if let Some(stored) = find(db, actor, key).await? {
        return replay(&stored, scope, &hash, master_key).map(Claim::Replay);
    }
    let txn = crate::db::begin_write(db).await?;
    let row = idempotency_key::Model {
        actor: actor.to_owned(),
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
        Ok(_) => Ok(Claim::Fresh(Claimed {
            txn,
            key: Some(row),
        })),
        Err(err) if err.sql_err().is_some() => {
            // A concurrent request with the same key committed first.
            txn.rollback().await?;
            match find(db, actor, key).await? {
                Some(stored) => replay(&stored, scope, &hash, master_key).map(Claim::Replay),
                None => Err(err.into()),
            }
        }
        Err(err) => Err(err.into()),
    }
}

impl Claimed {
    /// Keeps `response` under the key (if any) for replays, and commits.
    pub async fn complete(self, response: StoredResponse) -> Result<(), DomainError> {
        if let Some(row) = self.key {
            let status = i16::try_from(response.status)
                .map_err(|e| anyhow::anyhow!("status {}: {e}", response.status))?;
            let mut active = idempotency_key::ActiveModel::from(row);
            active.status = Set(status);
            active.location = Set(response.location);
            active.body = Set(response.body);
            active.update(&self.txn).await?;
        }
        self.txn.commit().await?;
        Ok(())
    }
}
