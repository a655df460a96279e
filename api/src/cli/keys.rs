//! `rapport rotate-keys`: re-seals every stored secret (webhook secrets, the
//! generated token secret, sealed stored replies) under a new master key.
//! Webhook secrets and the token secret themselves do not change, so
//! receivers keep verifying and issued tokens stay valid. Stop the service
//! first (replicas on the old key cannot open what the new one sealed).

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{DatabaseSettings, KeySettings};
use crate::db;
use crate::secrets::MasterKey;
use crate::secrets::source::{self, KeySource};
use crate::services::audit::Actor;
use crate::services::sealed_secrets;

/// Arguments of `rapport rotate-keys`.
#[derive(Debug, Args)]
pub struct RotateKeysArgs {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// The current master key (as `rapport serve` finds it).
    #[command(flatten)]
    pub keys: KeySettings,
    /// The new master key: base64 of 32 random bytes (`openssl rand -base64 32`).
    #[arg(long, env = "RAPPORT_NEW_MASTER_KEY", hide_env_values = true,
        value_parser = |raw: &str| Ok::<_, std::convert::Infallible>(SecretString::from(raw)))]
    pub new_key: SecretString,
}

/// What a rotation did.
#[derive(Debug)]
pub struct Rotated {
    /// Secrets re-sealed.
    pub secrets: usize,
    /// Id of the old key.
    pub from_kid: String,
    /// Id of the new key.
    pub to_kid: String,
    /// The key file rewritten with the new key, if the old key came from one.
    pub key_file: Option<std::path::PathBuf>,
}

/// Re-seals every stored secret under `--new-key`; a key file the old key
/// came from is replaced by the new key once the database has committed.
pub async fn rotate_keys(args: RotateKeysArgs) -> Result<Rotated, anyhow::Error> {
    let new = MasterKey::from_base64(args.new_key.expose_secret())
        .map_err(|e| anyhow::anyhow!("--new-key: {e}"))?;
    let (old, found) = source::load(&args.keys, &args.database)?;
    anyhow::ensure!(
        old.kid() != new.kid(),
        "the new master key is the current one"
    );
    let db = db::connect(&args.database).await?;
    db::migrate(&db).await?;
    sealed_secrets::seal_plaintext(&db, &old).await?;
    let secrets = sealed_secrets::rotate(&db, &Actor::cli(), &old, &new).await?;
    let key_file = match found {
        KeySource::File(path) => {
            source::replace_file(&path, args.new_key.expose_secret().trim())?;
            Some(path)
        }
        KeySource::Setting | KeySource::Ephemeral => None,
    };
    Ok(Rotated {
        secrets,
        from_kid: old.kid().to_owned(),
        to_kid: new.kid().to_owned(),
        key_file,
    })
}

/// The message `rapport rotate-keys` prints.
pub fn report(rotated: &Rotated) -> String {
    let next = match &rotated.key_file {
        Some(path) => format!("{} now holds the new key", path.display()),
        None => "set RAPPORT_MASTER_KEY to the new key before the next start".to_owned(),
    };
    format!(
        "re-sealed {} secrets from master key {} to {}; {next}",
        rotated.secrets, rotated.from_kid, rotated.to_kid
    )
}
