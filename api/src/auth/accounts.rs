//! User accounts: the rules every change must keep (unique e-mail, the
//! password policy, an active admin kept), used by `services::users`.

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
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

/// Slots for concurrent password work.
static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(password::CONCURRENT);

/// How long password work waits for a free slot before giving up with 503.
const PASSWORD_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs argon2 work `job` on the blocking pool, at most
/// [`password::CONCURRENT`] at once; beyond that it waits up to
/// [`PASSWORD_QUEUE_WAIT`] for a slot, then fails with 503 and `Retry-After`.
async fn password_work<T: Send + 'static>(
    what: &'static str,
    job: impl FnOnce() -> Result<T, DomainError> + Send + 'static,
) -> Result<T, DomainError> {
    let permit = tokio::time::timeout(PASSWORD_QUEUE_WAIT, SLOTS.acquire())
        .await
        .map_err(|_| DomainError::Unavailable {
            detail: "too many sign-ins at once; try again shortly".to_owned(),
            retry_after: 1,
        })?
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    let result = tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    drop(permit);
    result
}

/// Hashes off the async executor (argon2 takes tens of milliseconds).
pub async fn hash_password(plain: String) -> Result<String, DomainError> {
    password_work("password hashing", move || password::hash(&plain)).await
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
    password_work("password check", move || {
        let hash = match &stored {
            Some(hash) => Some(hash.as_str()),
            None => decoy_hash(),
        };
        hash.map_or(Ok(false), |hash| password::verify(&plain, hash))
    })
    .await
}

/// Checks what a sign-in sends before anything is looked up or stored:
/// an e-mail of at most 254 characters and a password of at most
/// [`password::MAX_LENGTH`] characters (422 otherwise).
pub fn check_credentials(email: &str, password: &str) -> Result<(), DomainError> {
    let mut checks = Checks::default();
    checks.max_len("email", email, MAX_EMAIL_LENGTH);
    if password.is_empty() {
        checks.fail("password", "is required");
    }
    checks.max_len("password", password, password::MAX_LENGTH);
    checks.finish()
}

/// Longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_LENGTH: usize = 254;

/// The audited view of a user (never the hash).
pub fn audit_view(user: &user::Model) -> Value {
    json!({
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "department": user.department,
        "active": user.active,
        "must_change_password": user.must_change_password,
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

/// 409 when a change would leave no active admin. A change that takes an
/// admin away holds the `admins` lock from the count to the end of `txn`,
/// so that two admins demoting or deactivating each other at once cannot
/// both see the other one still there (on SQLite the write transaction
/// already serialises them).
pub async fn ensure_admin_remains(
    txn: &DatabaseTransaction,
    current: &user::Model,
    role: Role,
    active: bool,
) -> Result<(), DomainError> {
    let was_admin = current.active && current.role == Role::Admin.as_str();
    if !was_admin || (role == Role::Admin && active) {
        return Ok(());
    }
    crate::db::serialise(txn, "admins").await?;
    let others = user::Entity::find()
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .filter(Column::Active.eq(true))
        .filter(Column::Id.ne(current.id))
        .count(txn)
        .await?;
    if others == 0 {
        return Err(DomainError::Conflict {
            code: ErrorCode::LastAdmin,
            detail: "this is the last active admin; promote another user first".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_work_is_bounded_and_refused_with_503_when_saturated() {
        assert!((1..=32).contains(&password::CONCURRENT));
        let held = SLOTS
            .acquire_many(password::CONCURRENT as u32)
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let refused = password_matches(None, "any password at all".into()).await;
        assert!(
            matches!(
                refused,
                Err(DomainError::Unavailable { retry_after: 1, .. })
            ),
            "{refused:?}"
        );
        assert!(started.elapsed() >= PASSWORD_QUEUE_WAIT);
        drop(held);
        assert!(
            !password_matches(None, "any password at all".into())
                .await
                .unwrap()
        );
    }

    #[test]
    fn oversized_credentials_are_field_errors() {
        let long_email = format!("{}@example.com", "a".repeat(250));
        let long_password = "p".repeat(password::MAX_LENGTH + 1);
        let fields = |r: Result<(), DomainError>| match r {
            Err(DomainError::Invalid(errors)) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(check_credentials(&long_email, "x")), ["email"]);
        assert_eq!(
            fields(check_credentials("a@example.com", &long_password)),
            ["password"]
        );
        check_credentials("a@example.com", "short").unwrap();
    }
}
