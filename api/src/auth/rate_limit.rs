//! The failed-login rate limit, per account and per client address, kept in
//! the database so every replica counts the same failures.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::domain::DomainError;
use crate::entities::login_attempt::{self, Column};

/// How many failures are allowed in which window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failures allowed per account (e-mail) in the window.
    pub per_account: u64,
    /// Failures allowed per client address in the window.
    pub per_address: u64,
    /// Length of the window in seconds.
    pub window_seconds: i64,
}

/// Seconds until the `limit`-th most recent failure matching `filter` leaves
/// the window, or `None` when fewer than `limit` failures are in it.
async fn blocked_for(
    db: &impl ConnectionTrait,
    filter: Condition,
    limit: u64,
    window: Duration,
) -> Result<Option<u64>, DomainError> {
    let now = Utc::now();
    let recent: Vec<chrono::DateTime<Utc>> = login_attempt::Entity::find()
        .select_only()
        .column(Column::AttemptedAt)
        .filter(filter)
        .filter(Column::AttemptedAt.gt(now - window))
        .order_by_desc(Column::AttemptedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if limit == 0 || (recent.len() as u64) < limit {
        return Ok(None);
    }
    let oldest = recent.last().copied().unwrap_or(now);
    let wait = (oldest + window - now).num_seconds().max(0) as u64 + 1;
    Ok(Some(wait))
}

/// 429 when the account or the address has used up its failures.
pub async fn check(
    db: &impl ConnectionTrait,
    limits: LoginLimits,
    email: &str,
    address: &str,
) -> Result<(), DomainError> {
    let window = Duration::seconds(limits.window_seconds);
    let by_account = Condition::all().add(Column::Email.eq(email));
    let by_address = Condition::all().add(Column::ClientAddr.eq(address));
    let waits = [
        blocked_for(db, by_account, limits.per_account, window).await?,
        blocked_for(db, by_address, limits.per_address, window).await?,
    ];
    match waits.into_iter().flatten().max() {
        Some(retry_after) => Err(DomainError::RateLimited { retry_after }),
        None => Ok(()),
    }
}

/// Counts a failure and forgets failures older than the window.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    limits: LoginLimits,
    email: &str,
    address: &str,
) -> Result<(), DomainError> {
    let now = Utc::now();
    login_attempt::Model {
        id: Uuid::now_v7(),
        email: email.to_owned(),
        client_addr: address.to_owned(),
        attempted_at: now,
    }
    .into_active_model()
    .insert(db)
    .await?;
    login_attempt::Entity::delete_many()
        .filter(
            Condition::any()
                .add(Column::Email.eq(email))
                .add(Column::ClientAddr.eq(address)),
        )
        .filter(Column::AttemptedAt.lt(now - Duration::seconds(limits.window_seconds)))
        .exec(db)
        .await?;
    Ok(())
}

/// A successful sign-in clears the account's failures.
pub async fn clear(db: &impl ConnectionTrait, email: &str) -> Result<(), DomainError> {
    login_attempt::Entity::delete_many()
        .filter(Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(())
}
