//! Refresh tokens: opaque, stored as digests, single use. Every rotation
//! issues a successor in the same family; presenting a token that was
//! already rotated revokes the whole family (the token was stolen or
//! replayed), except within the grace window right after its rotation,
//! when it gets the same successor again (two tabs refreshing at once, a
//! retry after a lost response).
//!
//! A token is derived from its row's id ([`TokenKeys::refresh_token`]), so
//! the successor can be handed out again without being kept in clear.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::digest;
use super::tokens::{Issue, TokenKeys};
use super::user_states::SessionStates;
use crate::domain::DomainError;
use crate::entities::refresh_token::{self, Column};
use crate::entities::user;
use crate::services::audit::{self, Actor, Event};

fn refused(detail: &str) -> DomainError {
    DomainError::Unauthorized(detail.to_owned())
}

/// A refresh token handed out, with its user and what the access token
/// that goes with it is issued for.
#[derive(Debug)]
pub struct Issued {
    /// The account.
    pub user: user::Model,
    /// Opaque, single-use refresh token (shown once, stored as a digest).
    pub refresh_token: String,
    /// The sign-in and the refresh token's id and time, for the access token.
    pub issue: Issue,
}

/// What rotating needs besides the token: the keys that derive tokens,
/// this replica's sign-in cache, the lifetime of a token and the grace
/// window of a rotated one.
#[derive(Clone, Copy)]
pub struct Rotation<'a> {
    pub keys: &'a TokenKeys,
    pub sessions: &'a SessionStates,
    /// Lifetime of a new refresh token, in seconds.
    pub ttl_seconds: i64,
    /// How long after its rotation a token gets the same successor again.
    pub grace: Duration,
}

/// Stores token `id` for `user_id` in `family_id`, created `now`, and
/// returns it (shown once) with its access token's issue data.
async fn store(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    (user_id, family_id, id): (Uuid, Uuid, Uuid),
    now: DateTime<Utc>,
    ttl_seconds: i64,
) -> Result<(String, Issue), DomainError> {
    let token = keys.refresh_token(id)?;
    // As the database keeps it (microseconds), so that the access token
    // issued again from the stored row is the same.
    let now = now.trunc_subsecs(6);
    refresh_token::Model {
        id,
        user_id,
        family_id,
        token_hash: digest(&token),
        expires_at: now + Duration::seconds(ttl_seconds),
        created_at: now,
        used_at: None,
        revoked_at: None,
        replaced_by: None,
    }
    .into_active_model()
    .insert(db)
    .await?;
    Ok((token, issue_of(family_id, id, now)))
}

fn issue_of(family_id: Uuid, token_id: Uuid, created_at: DateTime<Utc>) -> Issue {
    Issue {
        session_id: family_id,
        token_id,
        issued_at: created_at.timestamp(),
    }
}

/// Stores the first token of a new sign-in of `user_id` and returns it
/// (shown once) with its access token's issue data.
pub async fn issue(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    user_id: Uuid,
    ttl_seconds: i64,
) -> Result<(String, Issue), DomainError> {
    let ids = (user_id, Uuid::now_v7(), Uuid::now_v7());
    store(db, keys, ids, Utc::now(), ttl_seconds).await
}

/// Revokes every live token of a family.
pub async fn revoke_family(db: &impl ConnectionTrait, family_id: Uuid) -> Result<(), DomainError> {
    refresh_token::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(Utc::now()))
        .filter(Column::FamilyId.eq(family_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every live token of a user (deactivation, password change).
pub async fn revoke_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(), DomainError> {
    revoke_user_except(db, user_id, None).await.map(|_| ())
}

/// Revokes every live token of a user but those of sign-in `keep`; returns
/// how many tokens were revoked.
pub async fn revoke_user_except(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<u64, DomainError> {
    let mut update = refresh_token::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(Utc::now()))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null());
    if let Some(family_id) = keep {
        update = update.filter(Column::FamilyId.ne(family_id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// The stored row of a presented token, or 401.
pub async fn find(
    db: &impl ConnectionTrait,
    presented: &str,
) -> Result<refresh_token::Model, DomainError> {
    refresh_token::Entity::find()
        .filter(Column::TokenHash.eq(digest(presented)))
        .one(db)
        .await?
        .ok_or_else(|| refused("unknown refresh token"))
}

async fn reused(
    db: &DatabaseConnection,
    sessions: &SessionStates,
    row: &refresh_token::Model,
    actor: &Actor,
) -> Result<DomainError, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    revoke_family(&txn, row.family_id).await?;
    let event = Event::new("auth.refresh_reused", "user", Some(row.user_id))
        .with_changes(serde_json::json!({"family_id": row.family_id}));
    audit::record(&txn, actor, event).await?;
    txn.commit().await?;
    sessions.forget(row.family_id);
    Ok(refused(
        "this refresh token was already used; every session descended from it is revoked",
    ))
}

/// The active user of a token, or 401.
async fn active_user(db: &impl ConnectionTrait, user_id: Uuid) -> Result<user::Model, DomainError> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| refused("the account is deactivated"))
}

/// A spent token presented again: within the grace window of its rotation,
/// and while its successor is still unused and live, the successor again
/// (the same pair as the first presentation got); otherwise a replay, which
/// revokes the family.
async fn spent_again(
    db: &DatabaseConnection,
    rotation: Rotation<'_>,
    row: &refresh_token::Model,
    actor: &Actor,
) -> Result<Issued, DomainError> {
    let now = Utc::now();
    let within_grace =
        row.revoked_at.is_none() && row.used_at.is_some_and(|used| now - used <= rotation.grace);
    let successor = match row.replaced_by {
        Some(id) if within_grace => refresh_token::Entity::find_by_id(id).one(db).await?,
        _ => None,
    }
    .filter(|next| next.used_at.is_none() && next.revoked_at.is_none() && next.expires_at > now);
    let Some(next) = successor else {
        return Err(reused(db, rotation.sessions, row, actor).await?);
    };
    let user = active_user(db, next.user_id).await?;
    let txn = crate::db::begin_write(db).await?;
    let event = Event::new("auth.refresh", "user", Some(user.id)).with_changes(
        serde_json::json!({"family_id": row.family_id, "retried_within_grace": true}),
    );
    audit::record(&txn, actor, event).await?;
    txn.commit().await?;
    Ok(Issued {
        user,
        refresh_token: rotation.keys.refresh_token(next.id)?,
        issue: issue_of(next.family_id, next.id, next.created_at),
    })
}

/// Spends `presented` and returns its user with the successor token.
pub async fn rotate(
    db: &DatabaseConnection,
    rotation: Rotation<'_>,
    presented: &str,
    request_id: Option<String>,
) -> Result<Issued, DomainError> {
    let row = find(db, presented).await?;
    let actor = Actor::user(row.user_id, request_id);
    if row.used_at.is_some() {
        return spent_again(db, rotation, &row, &actor).await;
    }
    if row.revoked_at.is_some() {
        return Err(refused("the refresh token has been revoked"));
    }
    if row.expires_at < Utc::now() {
        return Err(refused("the refresh token has expired"));
    }
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let successor = Uuid::now_v7();
    // Conditional on still being unused, so of two concurrent presentations
    // exactly one rotates; the other is a presentation of a spent token.
    let spent = refresh_token::Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .col_expr(Column::ReplacedBy, Expr::value(successor))
        .filter(Column::Id.eq(row.id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        txn.rollback().await?;
        let row = refresh_token::Entity::find_by_id(row.id)
            .one(db)
            .await?
            .ok_or_else(|| refused("unknown refresh token"))?;
        if row.used_at.is_some() {
            return spent_again(db, rotation, &row, &actor).await;
        }
        return Err(refused("the refresh token has been revoked"));
    }
    let user = active_user(&txn, row.user_id).await?;
    let ids = (user.id, row.family_id, successor);
    let (token, issue) = store(&txn, rotation.keys, ids, now, rotation.ttl_seconds).await?;
    audit::record(
        &txn,
        &actor,
        Event::new("auth.refresh", "user", Some(user.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(Issued {
        user,
        refresh_token: token,
        issue,
    })
}
