//! The failed-login rate limit, per account and per client address, kept in
//! the database so every replica counts the same failures. An attempt is
//! counted before the password is checked, under a lock, so parallel
//! guesses cannot all pass the check; a successful one is then forgotten.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
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

/// The key an address is limited by: an IPv4 address as it is, an IPv6
/// address by its /64 (one subscriber's usual allocation, so rotating
/// through it gains nothing); anything else as sent.
pub fn address_key(address: &str) -> String {
    use std::net::IpAddr;
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_owned(),
    }
}

/// One counted sign-in attempt, to [`forgive`] when it succeeds.
#[derive(Debug, Clone, Copy)]
pub struct Attempt(Uuid);

/// Counts an attempt of `email` from `address` before its password is
/// checked: 429 when the account or the address already used up its
/// failures in the window (attempts in flight count as failures), else the
/// attempt is recorded. Checking and recording hold one lock, so of N
/// parallel attempts at most the limit get through.
pub async fn claim(
    db: &DatabaseConnection,
    limits: LoginLimits,
    email: &str,
    address: &str,
) -> Result<Attempt, DomainError> {
    let address = address_key(address);
    let txn = crate::db::begin_write(db).await?;
    crate::db::serialise(&txn, "login-attempts").await?;
    check(&txn, limits, email, &address).await?;
    let id = record_failure(&txn, limits, email, &address).await?;
    txn.commit().await?;
    Ok(Attempt(id))
}

/// A successful sign-in: its attempt and the account's failures are forgotten.
pub async fn forgive(
    db: &impl ConnectionTrait,
    attempt: Attempt,
    email: &str,
) -> Result<(), DomainError> {
    login_attempt::Entity::delete_by_id(attempt.0)
        .exec(db)
        .await?;
    clear(db, email).await
}

/// 429 when the account or the address has used up its failures.
async fn check(
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
async fn record_failure(
    db: &impl ConnectionTrait,
    limits: LoginLimits,
    email: &str,
    address: &str,
) -> Result<Uuid, DomainError> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    login_attempt::Model {
        id,
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
    Ok(id)
}

/// A successful sign-in clears the account's failures.
async fn clear(db: &impl ConnectionTrait, email: &str) -> Result<(), DomainError> {
    login_attempt::Entity::delete_many()
        .filter(Column::Email.eq(email))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn ipv6_addresses_are_limited_by_their_64() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key("unknown"), "unknown");
    }
}
