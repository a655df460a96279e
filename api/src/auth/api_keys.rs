//! API keys: `rpk_` followed by 32 random bytes in base64url, stored as a
//! SHA-256 digest with a visible prefix.

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::{digest, random_secret};
use crate::domain::DomainError;
use crate::entities::api_key::{self, Column};

/// What every key starts with; tells keys from JWTs.
pub const PREFIX: &str = "rpk_";
/// Characters of the key kept visible in listings.
pub const VISIBLE: usize = 12;
/// `last_used_at` is refreshed at most this often, to spare a write per request.
const TOUCH_EVERY_SECONDS: i64 = 60;

/// A new key (shown once) with its stored digest and visible prefix.
pub fn generate() -> (String, String, String) {
    let key = format!("{PREFIX}{}", random_secret());
    let hash = digest(&key);
    let prefix = key.chars().take(VISIBLE).collect();
    (key, hash, prefix)
}

/// The live key matching `presented`, with `last_used_at` brought up to date.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    presented: &str,
) -> Result<api_key::Model, DomainError> {
    let key = api_key::Entity::find()
        .filter(Column::KeyHash.eq(digest(presented)))
        .filter(Column::RevokedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| DomainError::Unauthorized("unknown or revoked API key".to_owned()))?;
    let now = Utc::now();
    let stale = now - Duration::seconds(TOUCH_EVERY_SECONDS);
    if key.last_used_at.is_none_or(|t| t < stale) {
        api_key::Entity::update_many()
            .col_expr(Column::LastUsedAt, Expr::value(now))
            .filter(Column::Id.eq(key.id))
            .filter(
                Condition::any()
                    .add(Column::LastUsedAt.is_null())
                    .add(Column::LastUsedAt.lt(stale)),
            )
            .exec(db)
            .await?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shape() {
        let (key, hash, prefix) = generate();
        assert!(key.starts_with(PREFIX));
        assert_eq!(key.len(), PREFIX.len() + 43);
        assert_eq!(prefix.len(), VISIBLE);
        assert!(key.starts_with(&prefix));
        assert_eq!(hash, digest(&key));
        assert_ne!(generate().0, key);
    }
}
