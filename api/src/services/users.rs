//! User accounts: creating one and changing one with every account rule
//! (unique e-mail, password policy, the last active admin kept, tokens
//! revoked on deactivation or a new password), each audited, for the API
//! and `rapport user create` alike.

use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Event};
use super::{Context, records};
use crate::auth::accounts::{self, PII, audit_view};
use crate::auth::refresh;
use crate::auth::user_states::UserStates;
use crate::domain::user::{NewUser, UserChanges};
use crate::domain::{DomainError, IfMatch, Role};
use crate::entities::user::{self, Column};

/// A user row, or not found.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<user::Model, DomainError> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("user"))
}

/// Creates a user inside `txn` (a transaction, which may hold an
/// idempotency claim) and audits it.
pub async fn create(
    ctx: &Context<'_>,
    txn: &impl ConnectionTrait,
    new: NewUser,
) -> Result<user::Model, DomainError> {
    let email = accounts::normalise_email(&new.email);
    accounts::check_fields(
        &email,
        &new.name,
        new.department.as_deref(),
        Some(&new.password),
    )?;
    accounts::ensure_email_free(txn, &email, None).await?;
    let hash = accounts::hash_password(new.password).await?;
    let now = Utc::now();
    let row = user::Model {
        id: Uuid::now_v7(),
        email,
        name: new.name.trim().to_owned(),
        role: new.role.as_str().to_owned(),
        department: new.department,
        password_hash: hash,
        active: true,
        token_version: 0,
        must_change_password: new.must_change_password,
        version: 1,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(txn)
    .await?;
    let changes = audit::diff(None, Some(&audit_view(&row)), PII);
    audit::record(
        txn,
        &ctx.actor,
        Event::new("user.create", "user", Some(row.id)).with_changes(changes),
    )
    .await?;
    Ok(row)
}

/// Applies `changes` to user `id` if it is at a version `expected` allows,
/// with every account rule; the change is audited and in force from the
/// next request (`states` forgets the user's cached state).
pub async fn update(
    ctx: &Context<'_>,
    states: &UserStates,
    id: Uuid,
    expected: &IfMatch,
    changes: UserChanges,
) -> Result<user::Model, DomainError> {
    let current = find(ctx.db, id).await?;
    expected.check(current.version)?;
    let email = changes
        .email
        .as_deref()
        .map(accounts::normalise_email)
        .unwrap_or_else(|| current.email.clone());
    let name = changes.name.unwrap_or_else(|| current.name.clone());
    let department = changes
        .department
        .unwrap_or_else(|| current.department.clone());
    accounts::check_fields(
        &email,
        &name,
        department.as_deref(),
        changes.password.as_deref(),
    )?;
    let current_role: Role = records::stored("user role", &current.role)?;
    let role = changes.role.unwrap_or(current_role);
    let active = changes.active.unwrap_or(current.active);
    let new_hash = match changes.password {
        Some(password) => Some(accounts::hash_password(password).await?),
        None => None,
    };
    let txn = ctx.begin().await?;
    accounts::ensure_email_free(&txn, &email, Some(current.id)).await?;
    accounts::ensure_admin_remains(&txn, &current, role, active).await?;
    let revoke = new_hash.is_some() || (current.active && !active);
    let mut row = user::ActiveModel {
        email: Set(email),
        name: Set(name),
        role: Set(role.as_str().to_owned()),
        department: Set(department),
        active: Set(active),
        version: Set(current.version + 1),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(hash) = new_hash {
        row.password_hash = Set(hash);
    }
    if revoke {
        row.token_version = Set(current.token_version + 1);
        refresh::revoke_user(&txn, current.id).await?;
    }
    records::update_if_version::<user::Entity, _>(
        &txn,
        row,
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    let updated = find(&txn, current.id).await?;
    let mut diff = audit::diff(
        Some(&audit_view(&current)),
        Some(&audit_view(&updated)),
        PII,
    );
    if revoke && let Some(map) = diff.as_object_mut() {
        map.insert("tokens_revoked".to_owned(), json!(true));
    }
    let action = if role != current_role {
        "user.role_change"
    } else if current.active && !active {
        "user.deactivate"
    } else {
        "user.update"
    };
    let event = Event::new(action, "user", Some(current.id)).with_changes(diff);
    audit::record(&txn, &ctx.actor, event).await?;
    ctx.commit(txn).await?;
    states.forget(current.id);
    Ok(updated)
}
