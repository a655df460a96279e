//! Where the master key comes from: `RAPPORT_MASTER_KEY`, or a key file
//! (by default beside the SQLite database, created on first start with mode
//! 0600). With PostgreSQL one of the two must be given: refusing to start is
//! better than keeping the key next to the data it protects.

use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::MasterKey;
use crate::config::{DatabaseSettings, KeySettings};

/// Where a master key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `RAPPORT_MASTER_KEY`.
    Setting,
    /// A key file.
    File(PathBuf),
    /// A random key for an in-memory SQLite database (gone with it).
    Ephemeral,
}

/// The key file beside a SQLite database: its path plus `.key`; `None` for
/// other databases, `Some(None)` for an in-memory one.
fn beside_sqlite(url: &str) -> Option<Option<PathBuf>> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return Some(None);
    }
    Some(Some(PathBuf::from(format!("{path}.key"))))
}

/// The master key the settings name, and where it was found.
pub fn load(
    keys: &KeySettings,
    database: &DatabaseSettings,
) -> Result<(MasterKey, KeySource), anyhow::Error> {
    if let Some(text) = &keys.master_key {
        let key = MasterKey::from_base64(text.expose_secret())
            .map_err(|e| anyhow::anyhow!("RAPPORT_MASTER_KEY: {e}"))?;
        return Ok((key, KeySource::Setting));
    }
    let path = match (
        &keys.master_key_file,
        beside_sqlite(database.database_url.expose_secret()),
    ) {
        (Some(path), _) => path.clone(),
        (None, Some(Some(path))) => path,
        (None, Some(None)) => return Ok((MasterKey::generate()?.0, KeySource::Ephemeral)),
        (None, None) => anyhow::bail!(
            "RAPPORT_MASTER_KEY is required with PostgreSQL: set it to base64 of 32 random \
             bytes (`openssl rand -base64 32`), kept apart from the database; for development \
             only, RAPPORT_MASTER_KEY_FILE=./rapport-master.key keeps it in a file instead"
        ),
    };
    Ok((read_or_create(&path)?, KeySource::File(path)))
}

/// Reads the key file at `path`, creating it with a random key if missing.
fn read_or_create(path: &Path) -> Result<MasterKey, anyhow::Error> {
    let shown = path.display();
    match create(path) {
        Ok(Some(key)) => {
            tracing::info!(path = %shown, "created a master key file");
            return Ok(key);
        }
        Ok(None) => {}
        Err(err) => anyhow::bail!("creating the master key file {shown}: {err}"),
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the master key file {shown}: {e}"))?;
    warn_if_readable_by_others(path);
    MasterKey::from_base64(&text).map_err(|e| anyhow::anyhow!("the master key file {shown}: {e}"))
}

/// A new key file with a random key (mode 0600), or `None` if one exists.
fn create(path: &Path) -> Result<Option<MasterKey>, anyhow::Error> {
    let (key, text) = MasterKey::generate()?;
    match write_new(path, &text) {
        Ok(()) => Ok(Some(key)),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Writes `text` to a new file only its owner may read.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(format!("{text}\n").as_bytes())?;
    file.sync_all()
}

/// Replaces the key file at `path` with `key_text` (written beside it, then
/// renamed over it).
pub fn replace_file(path: &Path, key_text: &str) -> Result<(), anyhow::Error> {
    let fresh = path.with_extension("key.new");
    let _ = std::fs::remove_file(&fresh);
    write_new(&fresh, key_text).map_err(|e| anyhow::anyhow!("writing {}: {e}", fresh.display()))?;
    std::fs::rename(&fresh, path)
        .map_err(|e| anyhow::anyhow!("replacing {}: {e}", path.display()))?;
    Ok(())
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the master key file is readable by others: chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        url: &str,
        key: Option<&str>,
        file: Option<PathBuf>,
    ) -> (KeySettings, DatabaseSettings) {
        (
            KeySettings {
                master_key: key.map(Into::into),
                master_key_file: file,
            },
            DatabaseSettings {
                database_url: url.into(),
                db_max_connections: 1,
            },
        )
    }

    #[test]
    fn sqlite_gets_a_private_key_file_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("rapport.db");
        let (keys, database) = settings(&format!("sqlite://{}?mode=rwc", db.display()), None, None);
        let (first, source) = load(&keys, &database).unwrap();
        let file = dir.path().join("rapport.db.key");
        assert_eq!(source, KeySource::File(file.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, _) = load(&keys, &database).unwrap();
        assert_eq!(first.kid(), again.kid());
    }

    #[test]
    fn postgres_needs_a_key_or_a_named_file() {
        let url = "postgres://rapport@db/rapport";
        let err = load(&settings(url, None, None).0, &settings(url, None, None).1).unwrap_err();
        assert!(
            err.to_string().contains("RAPPORT_MASTER_KEY is required"),
            "{err}"
        );
        let (key, text) = MasterKey::generate().unwrap();
        let (keys, database) = settings(url, Some(&text), None);
        assert_eq!(load(&keys, &database).unwrap().0.kid(), key.kid());
        let (keys, database) = settings(url, Some("short"), None);
        assert!(
            load(&keys, &database)
                .unwrap_err()
                .to_string()
                .contains("RAPPORT_MASTER_KEY")
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dev.key");
        let (keys, database) = settings(url, None, Some(file.clone()));
        assert_eq!(load(&keys, &database).unwrap().1, KeySource::File(file));
    }

    #[test]
    fn a_replaced_file_holds_the_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.key");
        let old = read_or_create(&file).unwrap();
        let (new, text) = MasterKey::generate().unwrap();
        replace_file(&file, &text).unwrap();
        let read = read_or_create(&file).unwrap();
        assert_eq!(read.kid(), new.kid());
        assert_ne!(read.kid(), old.kid());
        assert_eq!(beside_sqlite("sqlite::memory:"), Some(None));
    }
}
