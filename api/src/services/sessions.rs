//! Signing in and out, and changing one's own password: the password check
//! under the failed-login limits, the refresh-token family, and the audit
//! entries of each.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use super::audit::{self, Actor, Event};
use crate::auth::Caller;
use crate::auth::accounts;
use crate::auth::password;
use crate::auth::rate_limit::{self, LoginLimits};
use crate::auth::refresh::{self, Issued};
use crate::auth::tokens::TokenKeys;
use crate::auth::user_states::{SessionStates, UserStates};
use crate::domain::DomainError;
use crate::domain::user::PasswordChange;
use crate::domain::validation::Checks;
use crate::entities::user;

/// What a sign-in sends, and where from.
pub struct Credentials<'a> {
    pub email: &'a str,
    pub password: String,
    /// The client's address, for the per-address limit.
    pub address: &'a str,
}

/// Signs in with `email` and `password` from client `address`: 422 for
/// oversized credentials (nothing stored), refused (429) past the
/// failed-login limits, counted before the password is checked, 401 for a wrong password or an
/// inactive account (the failure counted and audited), else a new
/// refresh-token family whose tokens live `refresh_ttl` seconds.
pub async fn login(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    limits: LoginLimits,
    refresh_ttl: i64,
    credentials: Credentials<'_>,
    request_id: Option<String>,
) -> Result<Issued, DomainError> {
    let Credentials {
        email,
        password,
        address,
    } = credentials;
    accounts::check_credentials(email, &password)?;
    let email = accounts::normalise_email(email);
    let attempt = rate_limit::claim(db, limits, &email, address).await?;
    let found = user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Email))).eq(email.clone()))
        .one(db)
        .await?;
    let valid = accounts::password_matches(found.as_ref(), password).await?;
    let user = match found {
        Some(user) if valid && user.active => user,
        other => {
            let txn = crate::db::begin_write(db).await?;
            let event = Event::new("auth.login_failed", "user", other.map(|u| u.id));
            audit::record(&txn, &Actor::anonymous(request_id), event).await?;
            txn.commit().await?;
            return Err(DomainError::Unauthorized(
                "invalid e-mail or password".to_owned(),
            ));
        }
    };
    let txn = crate::db::begin_write(db).await?;
    rate_limit::forgive(&txn, attempt, &email).await?;
    let (refresh_token, issue) = refresh::issue(&txn, keys, user.id, refresh_ttl).await?;
    let event = Event::new("auth.login", "user", Some(user.id));
    audit::record(&txn, &Actor::user(user.id, request_id), event).await?;
    txn.commit().await?;
    Ok(Issued {
        user,
        refresh_token,
        issue,
    })
}

/// Signs out: revokes `refresh_token` and every token of its sign-in, the
/// access tokens included (at once on this replica, see `SessionStates`).
pub async fn logout(
    db: &DatabaseConnection,
    sessions: &SessionStates,
    refresh_token: &str,
    request_id: Option<String>,
) -> Result<(), DomainError> {
    let row = refresh::find(db, refresh_token).await?;
    let txn = crate::db::begin_write(db).await?;
    refresh::revoke_family(&txn, row.family_id).await?;
    let event = Event::new("auth.logout", "user", Some(row.user_id));
    audit::record(&txn, &Actor::user(row.user_id, request_id), event).await?;
    txn.commit().await?;
    sessions.forget(row.family_id);
    Ok(())
}

/// What changing one's own password needs besides the change: the login
/// limits its failures count towards, the client's address, and this
/// replica's caches to bring up to date.
pub struct ChangeContext<'a> {
    pub limits: LoginLimits,
    pub address: &'a str,
    pub users: &'a UserStates,
    pub sessions: &'a SessionStates,
}

/// Checks the shape of a password change before anything is looked up:
/// the current password as a sign-in's (given, at most
/// [`password::MAX_LENGTH`] characters), the new one under the password
/// policy and unlike the current one.
fn check_change(change: &PasswordChange) -> Result<(), DomainError> {
    let mut checks = Checks::default();
    if change.current_password.is_empty() {
        checks.fail("current_password", "is required");
    }
    checks.max_len(
        "current_password",
        &change.current_password,
        password::MAX_LENGTH,
    );
    if let Err(err) = password::check_policy("new_password", &change.new_password) {
        checks.fail(err.field, err.message);
    } else if change.new_password == change.current_password {
        checks.fail("new_password", "must differ from the current password");
    }
    checks.finish()
}

/// The signed-in `caller` changes their own password: 403 for an API key,
/// 422 for a bad new password, 429 past the failed-login limits (a wrong
/// current password counts as a failed sign-in of the account), 422 on
/// `current_password` when it is wrong (the failure audited); else the new
/// password is stored, a one-time password requirement lifted, and every
/// other sign-in of the user revoked with its access tokens (this one
/// stays signed in). Audited as `user.password_change`.
pub async fn change_own_password(
    db: &DatabaseConnection,
    caller: &Caller,
    change: PasswordChange,
    context: ChangeContext<'_>,
) -> Result<(), DomainError> {
    if caller.api_key {
        return Err(DomainError::Forbidden(
            "an API key has no password; only signed-in users change theirs".to_owned(),
        ));
    }
    check_change(&change)?;
    let actor = Actor::from(caller);
    let current = user::Entity::find_by_id(caller.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| DomainError::Unauthorized("the token has been revoked".to_owned()))?;
    let attempt = rate_limit::claim(db, context.limits, &current.email, context.address).await?;
    if !accounts::password_matches(Some(&current), change.current_password).await? {
        let txn = crate::db::begin_write(db).await?;
        let event = Event::new("user.password_change_failed", "user", Some(current.id));
        audit::record(&txn, &actor, event).await?;
        txn.commit().await?;
        return Err(DomainError::invalid(
            "current_password",
            "is not the password of this account",
        ));
    }
    let hash = accounts::hash_password(change.new_password).await?;
    let txn = crate::db::begin_write(db).await?;
    rate_limit::forgive(&txn, attempt, &current.email).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::MustChangePassword, Expr::value(false))
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(current.id))
        .exec(&txn)
        .await?;
    let revoked = refresh::revoke_user_except(&txn, current.id, caller.session_id).await?;
    let mut changes = json!({"password_changed": true, "other_sessions_revoked": revoked > 0});
    if current.must_change_password {
        changes["must_change_password"] = json!({"from": true, "to": false});
    }
    let event = Event::new("user.password_change", "user", Some(current.id)).with_changes(changes);
    audit::record(&txn, &actor, event).await?;
    txn.commit().await?;
    context.users.forget(current.id);
    context.sessions.forget_all();
    Ok(())
}
