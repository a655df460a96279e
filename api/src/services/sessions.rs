//! Signing in and out: the password check under the failed-login limits,
//! the refresh-token family, and the audit entries of both.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::audit::{self, Actor, Event};
use crate::auth::rate_limit::{self, LoginLimits};
use crate::auth::{accounts, refresh};
use crate::domain::DomainError;
use crate::entities::user;

/// A signed-in user and the first refresh token of the sign-in.
pub struct SignedIn {
    /// The account.
    pub user: user::Model,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
}

/// Signs in with `email` and `password` from client `address`: 422 for
/// oversized credentials (nothing stored), refused (429) past the
/// failed-login limits, counted before the password is checked, 401 for a wrong password or an
/// inactive account (the failure counted and audited), else a new
/// refresh-token family whose tokens live `refresh_ttl` seconds.
pub async fn login(
    db: &DatabaseConnection,
    limits: LoginLimits,
    refresh_ttl: i64,
    email: &str,
    password: String,
    address: &str,
    request_id: Option<String>,
) -> Result<SignedIn, DomainError> {
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
    let refresh_token = refresh::issue(&txn, user.id, Uuid::now_v7(), refresh_ttl).await?;
    let event = Event::new("auth.login", "user", Some(user.id));
    audit::record(&txn, &Actor::user(user.id, request_id), event).await?;
    txn.commit().await?;
    Ok(SignedIn {
        user,
        refresh_token,
    })
}

/// Signs out: revokes `refresh_token` and every token of its sign-in.
pub async fn logout(
    db: &DatabaseConnection,
    refresh_token: &str,
    request_id: Option<String>,
) -> Result<(), DomainError> {
    let row = refresh::find(db, refresh_token).await?;
    let txn = crate::db::begin_write(db).await?;
    refresh::revoke_family(&txn, row.family_id).await?;
    let event = Event::new("auth.logout", "user", Some(row.user_id));
    audit::record(&txn, &Actor::user(row.user_id, request_id), event).await?;
    txn.commit().await?;
    Ok(())
}
