//! API keys for integrations: issuing one (shown once, stored hashed) and
//! revoking one, each audited.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use super::Context;
use super::audit::{self, Event};
use crate::auth::api_keys;
use crate::domain::validation::{Checks, SHORT_TEXT};
use crate::domain::{DomainError, Role};
use crate::entities::api_key::{self, Column};

/// A key just issued: the secret, shown this once, and its stored row.
pub struct IssuedKey {
    /// Send as `Authorization: Bearer <key>`.
    pub secret: String,
    /// The stored key (its hash and prefix, never the secret).
    pub row: api_key::Model,
}

/// The rules a key's name and role meet (never the admin role).
pub fn check(name: &str, role: Role) -> Result<(), DomainError> {
    let mut checks = Checks::default();
    checks.text("name", name, SHORT_TEXT);
    if role == Role::Admin {
        checks.fail("role", "API keys may not have the admin role");
    }
    checks.finish()
}

/// Issues a key named `name` acting as `role` inside `txn` (which may hold
/// an idempotency claim), audited.
pub async fn issue(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    name: &str,
    role: Role,
) -> Result<IssuedKey, DomainError> {
    check(name, role)?;
    let (secret, hash, prefix) = api_keys::generate();
    let created_by = ctx
        .caller
        .and_then(|(caller, _)| (!caller.api_key).then_some(caller.user_id));
    let row = api_key::Model {
        id: Uuid::now_v7(),
        name: name.trim().to_owned(),
        prefix,
        key_hash: hash,
        role: role.as_str().to_owned(),
        created_by,
        created_at: Utc::now(),
        last_used_at: None,
        revoked_at: None,
    }
    .into_active_model()
    .insert(txn)
    .await?;
    let details = json!({"name": row.name, "role": row.role, "prefix": row.prefix});
    let event = Event::new("api_key.create", "api_key", Some(row.id)).with_changes(details);
    audit::record(txn, &ctx.actor, event).await?;
    Ok(IssuedKey { secret, row })
}

/// Revokes key `id`: it stops working at once; revoking twice is harmless.
pub async fn revoke(ctx: &Context<'_>, id: Uuid) -> Result<(), DomainError> {
    let txn = ctx.begin().await?;
    let row = api_key::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("API key"))?;
    if row.revoked_at.is_none() {
        api_key::Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(Utc::now()))
            .filter(Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        let event = Event::new("api_key.revoke", "api_key", Some(row.id));
        audit::record(&txn, &ctx.actor, event).await?;
    }
    ctx.commit(txn).await
}
