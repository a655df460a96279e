//! The stored secrets as a whole: sealing what an older version kept in
//! clear, and re-sealing everything under a new master key
//! (`rapport rotate-keys`). Sealed are webhook secrets (current and
//! previous), the generated token secret in `app_settings`, and stored
//! replies that carried a secret (webhook creation).

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::audit::{self, Actor, Event};
use crate::auth::bootstrap::JWT_SECRET_KEY;
use crate::domain::DomainError;
use crate::entities::{app_setting, idempotency_key, webhook};
use crate::secrets::{MasterKey, is_sealed};

/// Scopes whose stored replies carry a secret and are kept sealed.
pub const SEALED_REPLY_SCOPES: &[&str] = &["POST /webhooks"];

/// How a stored value changes: sealed when in clear, or re-sealed.
type Change<'a> = &'a (dyn Fn(&str) -> Result<Option<String>, anyhow::Error> + Sync);

/// Applies `change` to every stored secret; returns how many changed.
async fn each_secret(db: &impl ConnectionTrait, change: Change<'_>) -> Result<usize, DomainError> {
    let mut changed = 0;
    for hook in webhook::Entity::find().all(db).await? {
        let secret = change(&hook.secret)?;
        let previous = match &hook.previous_secret {
            Some(previous) => change(previous)?.map(Some),
            None => None,
        };
        if secret.is_none() && previous.is_none() {
            continue;
        }
        let mut row = webhook::ActiveModel {
            id: Set(hook.id),
            ..Default::default()
        };
        if let Some(secret) = secret {
            row.secret = Set(secret);
        }
        if let Some(previous) = previous {
            row.previous_secret = Set(previous);
        }
        webhook::Entity::update(row).exec(db).await?;
        changed += 1;
    }
    if let Some(setting) = app_setting::Entity::find_by_id(JWT_SECRET_KEY.to_owned())
        .one(db)
        .await?
        && let Some(value) = change(&setting.value)?
    {
        app_setting::Entity::update(app_setting::ActiveModel {
            key: Set(setting.key),
            value: Set(value),
        })
        .exec(db)
        .await?;
        changed += 1;
    }
    let replies = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Scope.is_in(SEALED_REPLY_SCOPES.iter().copied()))
        .filter(idempotency_key::Column::Status.ne(0))
        .all(db)
        .await?;
    for reply in replies {
        if let Some(body) = change(&reply.body)? {
            idempotency_key::Entity::update(idempotency_key::ActiveModel {
                actor: Set(reply.actor),
                key: Set(reply.key),
                body: Set(body),
                ..Default::default()
            })
            .exec(db)
            .await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Seals, under `key`, every stored secret still in clear (kept so by a
/// version before sealing); run at start. Returns how many were sealed.
pub async fn seal_plaintext(
    db: &DatabaseConnection,
    key: &MasterKey,
) -> Result<usize, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let seal = |stored: &str| -> Result<Option<String>, anyhow::Error> {
        if is_sealed(stored) {
            Ok(None)
        } else {
            key.seal(stored).map(Some)
        }
    };
    let sealed = each_secret(&txn, &seal).await?;
    txn.commit().await?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed secrets stored in clear");
    }
    Ok(sealed)
}

/// Re-seals every stored secret from `old` to `new` in one transaction,
/// audited; returns how many were re-sealed.
pub async fn rotate(
    db: &DatabaseConnection,
    actor: &Actor,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<usize, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let reseal = |stored: &str| -> Result<Option<String>, anyhow::Error> {
        if is_sealed(stored) {
            old.reseal(stored, new).map(Some)
        } else {
            new.seal(stored).map(Some)
        }
    };
    let count = each_secret(&txn, &reseal).await?;
    let event = Event::new("keys.rotate", "master_key", None).with_changes(
        serde_json::json!({"from_kid": old.kid(), "to_kid": new.kid(), "secrets": count}),
    );
    audit::record(&txn, actor, event).await?;
    txn.commit().await?;
    Ok(count)
}
