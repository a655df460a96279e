//! First-start set-up: the first admin and the shared token secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, TransactionTrait};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::password;
use super::tokens::MIN_SECRET_BYTES;
use crate::config::Settings;
use crate::entities::{app_setting, user};
use crate::policy::Role;
use crate::secrets::MasterKey;
use crate::services::audit::{self, Actor, Event};

/// The `app_settings` key of the generated token secret.
pub const JWT_SECRET_KEY: &str = "jwt_secret";

/// Creates the first admin when there is no user at all. Without a configured
/// password, a random one-time password is printed once on standard output,
/// which the admin must change at first sign-in.
pub async fn ensure_admin(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<(), anyhow::Error> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let (password, generated) = match &settings.admin_password {
        Some(p) => (p.expose_secret().to_owned(), false),
        None => (password::generate(), true),
    };
    if let Err(err) = password::check_policy("RAPPORT_ADMIN_PASSWORD", &password) {
        anyhow::bail!("{}: {}", err.field, err.message);
    }
    let hash = password::hash(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = Utc::now();
    let admin = user::Model {
        id: Uuid::now_v7(),
        email: settings.admin_email.trim().to_lowercase(),
        name: "Administrator".to_owned(),
        role: Role::Admin.as_str().to_owned(),
        department: None,
        password_hash: hash,
        active: true,
        token_version: 0,
        must_change_password: generated,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    // Another replica starting at the same moment may win; that is fine.
    let txn = db.begin().await?;
    let inserted = user::Entity::insert(user::ActiveModel::from(admin.clone()))
        .on_conflict(
            OnConflict::column(user::Column::Email)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted == 1 {
        let view = super::accounts::audit_view(&admin);
        let changes = audit::diff(None, Some(&view), super::accounts::PII);
        let event = Event::new("user.create", "user", Some(admin.id)).with_changes(changes);
        audit::record(&txn, &Actor::system(), event)
            .await
            .map_err(|e| anyhow::anyhow!("auditing the first admin: {e}"))?;
    }
    txn.commit().await?;
    if inserted == 1 {
        tracing::info!(email = %admin.email, "created the first admin");
        if generated {
            println!(
                "First admin created: {} / one-time password: {password} (shown once; change it at first sign-in with POST /api/v1/me/password)",
                admin.email
            );
        }
    }
    Ok(())
}

/// The token secret: the configured one, else the one stored in the database
/// (generated and stored, sealed with `key`, on first start, so every
/// replica shares it).
pub async fn jwt_secret(
    db: &DatabaseConnection,
    configured: Option<&str>,
    key: &MasterKey,
) -> Result<Vec<u8>, anyhow::Error> {
    if let Some(secret) = configured {
        anyhow::ensure!(
            secret.len() >= MIN_SECRET_BYTES,
            "RAPPORT_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes"
        );
        return Ok(secret.as_bytes().to_vec());
    }
    let fresh: [u8; 48] = rand::random();
    app_setting::Entity::insert(app_setting::ActiveModel::from(app_setting::Model {
        key: JWT_SECRET_KEY.to_owned(),
        value: key.seal(&STANDARD.encode(fresh))?,
    }))
    .on_conflict(
        OnConflict::column(app_setting::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let stored = app_setting::Entity::find_by_id(JWT_SECRET_KEY.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the stored JWT secret disappeared"))?;
    Ok(STANDARD.decode(key.open(&stored.value)?)?)
}
