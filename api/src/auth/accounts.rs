//! User accounts: creation and the rules every change must keep, shared by
//! the `/users` routes and `rapport user create`.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::password;
use crate::domain::DomainError;
use crate::domain::ErrorCode;
use crate::domain::validation::{Checks, SHORT_TEXT};
use crate::entities::user::{self, Column};
use crate::policy::Role;
use crate::services::audit::{self, Actor, Event};

/// Fields of a user that the audit log redacts.
pub const PII: &[&str] = &["email", "name"];

/// A user to create; the password is checked against the policy.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    pub password: String,
}

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
    actix_web::web::block(move || password::hash(&plain))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing: {e}"))?
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

/// Creates a user inside `db` (a transaction) and audits it.
pub async fn create(
    db: &impl ConnectionTrait,
    actor: &Actor,
    new: NewUser,
) -> Result<user::Model, DomainError> {
    let email = normalise_email(&new.email);
    check_fields(
        &email,
        &new.name,
        new.department.as_deref(),
        Some(&new.password),
    )?;
    ensure_email_free(db, &email, None).await?;
    let hash = hash_password(new.password).await?;
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
        version: 1,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(db)
    .await?;
    let changes = audit::diff(None, Some(&audit_view(&row)), PII);
    audit::record(
        db,
        actor,
        Event::new("user.create", "user", Some(row.id)).with_changes(changes),
    )
    .await?;
    Ok(row)
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
