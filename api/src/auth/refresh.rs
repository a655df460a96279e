//! Refresh tokens: opaque, random, stored as digests, single use. Every
//! rotation issues a successor in the same family; presenting a token that
//! was already rotated revokes the whole family (the token was stolen or
//! replayed).

use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use super::{digest, random_secret};
use crate::domain::DomainError;
use crate::entities::refresh_token::{self, Column};
use crate::entities::user;
use crate::services::audit::{self, Actor, Event};

fn refused(detail: &str) -> DomainError {
    DomainError::Unauthorized(detail.to_owned())
}

/// Stores a new token for `user_id` in `family_id` and returns it (shown once).
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    family_id: Uuid,
    ttl_seconds: i64,
) -> Result<String, DomainError> {
    let token = random_secret();
    let now = Utc::now();
    refresh_token::Model {
        id: Uuid::now_v7(),
        user_id,
        family_id,
        token_hash: digest(&token),
        expires_at: now + Duration::seconds(ttl_seconds),
        created_at: now,
        used_at: None,
        revoked_at: None,
    }
    .into_active_model()
    .insert(db)
    .await?;
    Ok(token)
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
    refresh_token::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::value(Utc::now()))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
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
    row: &refresh_token::Model,
    actor: &Actor,
) -> Result<DomainError, DomainError> {
    revoke_family(db, row.family_id).await?;
    let event = Event::new("auth.refresh_reused", "user", Some(row.user_id))
        .with_changes(serde_json::json!({"family_id": row.family_id}));
    audit::record(db, actor, event).await?;
    Ok(refused(
        "this refresh token was already used; every session descended from it is revoked",
    ))
}

/// Spends `presented` and returns its user with the successor token.
pub async fn rotate(
    db: &DatabaseConnection,
    presented: &str,
    ttl_seconds: i64,
    request_id: Option<String>,
) -> Result<(user::Model, String), DomainError> {
    let row = find(db, presented).await?;
    let actor = Actor::user(row.user_id, request_id);
    if row.revoked_at.is_some() && row.used_at.is_none() {
        return Err(refused("the refresh token has been revoked"));
    }
    if row.used_at.is_some() {
        return Err(reused(db, &row, &actor).await?);
    }
    if row.expires_at < Utc::now() {
        return Err(refused("the refresh token has expired"));
    }
    let txn = crate::db::begin_write(db).await?;
    // Conditional on still being unused, so of two concurrent presentations
    // exactly one wins; the other is treated as reuse.
    let spent = refresh_token::Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(row.id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        txn.rollback().await?;
        return Err(reused(db, &row, &actor).await?);
    }
    let user = user::Entity::find_by_id(row.user_id)
        .one(&txn)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| refused("the account is deactivated"))?;
    let token = issue(&txn, user.id, row.family_id, ttl_seconds).await?;
    audit::record(
        &txn,
        &actor,
        Event::new("auth.refresh", "user", Some(user.id)),
    )
    .await?;
    txn.commit().await?;
    Ok((user, token))
}
