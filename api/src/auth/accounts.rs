//! User accounts: the rules every change must keep (unique e-mail, the
//! password policy, an active admin kept), used by `services::users`.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::password;
use crate::domain::DomainError;
use crate::domain::ErrorCode;
use crate::domain::validation::{Checks, SHORT_TEXT};
use crate::entities::user::{self, Column};
use crate::policy::Role;

/// Fields of a user that the audit log redacts.
pub const PII: &[&str] = &["email", "name"];

/// E-mails are compared and stored lower-case, so uniqueness is case-insensitive.
pub fn normalise_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Checks the editable fields of a user (password only when given).
pub fn check_fields(
    email: &str,
    name: &str,
    department: Option<&str>,
    password: Option<&str>,
) -> Result<(), DomainError> {
    let mut checks = Checks::default();
    checks.text("email", email, SHORT_TEXT);
    checks.email("email", Some(email));
    checks.text("name", name, SHORT_TEXT);
    checks.opt_text("department", department, 100);
    if let Some(Err(err)) = password.map(|p| password::check_policy("password", p)) {
        checks.fail(err.field, err.message);
    }
    checks.finish()
}

/// Hashes off the async executor (argon2 takes tens of milliseconds).
pub async fn hash_password(plain: String) -> Result<String, DomainError> {
    tokio::task::spawn_blocking(move || password::hash(&plain))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing: {e}"))?
}

/// A valid hash checked when the e-mail is unknown, so both failures take
/// the same time.
fn decoy_hash() -> Option<&'static str> {
    static DECOY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| password::hash("decoy password for timing").ok())
        .as_deref()
}

/// Whether `plain` is the password of `found`, checked off the async
/// executor (a decoy hash is checked when no user was found).
pub async fn password_matches(
    found: Option<&user::Model>,
    plain: String,
) -> Result<bool, DomainError> {
    let stored = found.map(|u| u.password_hash.clone());
    tokio::task::spawn_blocking(move || {
        let hash = match &stored {
            Some(hash) => Some(hash.as_str()),
            None => decoy_hash(),
        };
        hash.map_or(Ok(false), |hash| password::verify(&plain, hash))
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check: {e}"))?
}

/// The audited view of a user (never the hash).
pub fn audit_view(user: &user::Model) -> Value {
    json!({
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "department": user.department,
        "active": user.active,
    })
}

/// 409 when another user already has this e-mail.
pub async fn ensure_email_free(
    db: &impl ConnectionTrait,
    email: &str,
    except: Option<Uuid>,
) -> Result<(), DomainError> {
    let mut query = user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(Column::Email))).eq(email.to_owned()));
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    if query.one(db).await?.is_some() {
        return Err(DomainError::Conflict {
            code: ErrorCode::EmailTaken,
            detail: "another user has this e-mail address".to_owned(),
        });
    }
    Ok(())
}

/// 409 when a change would leave no active admin.
pub async fn ensure_admin_remains(
    db: &impl ConnectionTrait,
    current: &user::Model,
    role: Role,
    active: bool,
) -> Result<(), DomainError> {
    let was_admin = current.active && current.role == Role::Admin.as_str();
    if !was_admin || (role == Role::Admin && active) {
        return Ok(());
    }
    let others = user::Entity::find()
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::Active.eq(true))
        .filter(Column::Id.ne(current.id))
        .count(db)
        .await?;
    if others == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::LastAdmin,
            detail: "this is the last active admin; promote another user first".to_owned(),
        });
    }
    Ok(())
}
