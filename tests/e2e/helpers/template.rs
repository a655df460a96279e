//! Databases prepared once per backend and test run, and copied for each
//! test: a migrated, empty one for every service ([`empty`]), and a trained
//! one (`trained.rs`). A copy is a file on SQLite and `CREATE DATABASE ...
//! TEMPLATE` on PostgreSQL, much cheaper than migrating a new database.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use rapport_api::config::DatabaseSettings;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use super::app::{Backend, database_name, postgres_server, sqlite_url};

/// A database to copy.
pub(super) enum Template {
    /// The bytes of a SQLite database file, and of its master key file
    /// (what the database holds is sealed with it) if it has one.
    Sqlite(Vec<u8>, Option<Vec<u8>>),
    /// A PostgreSQL database nobody may connect to any more.
    Postgres(String),
}

impl Template {
    /// A new database holding a copy: its URL, and the directory that holds
    /// it (SQLite).
    pub(super) async fn copy(&self) -> (String, Option<tempfile::TempDir>) {
        match self {
            Template::Sqlite(bytes, key) => {
                let dir = tempfile::tempdir().expect("temp dir");
                std::fs::write(dir.path().join("rapport.db"), bytes).expect("write the copy");
                if let Some(key) = key {
                    write_private(&dir.path().join("rapport.db.key"), key);
                }
                (sqlite_url(&dir), Some(dir))
            }
            Template::Postgres(template) => {
                let name = database_name("rapport_test");
                let (admin, url) = postgres_server(&name).await;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .await
                    .expect("copy the template database");
                (url, None)
            }
        }
    }

    /// Makes a template of the database at `url`; nothing may write to it
    /// meanwhile, and on PostgreSQL nothing may use it afterwards.
    pub(super) async fn of(backend: Backend, url: &str) -> Template {
        match backend {
            Backend::Sqlite => Template::Sqlite(snapshot(url).await, key_file(url)),
            Backend::Postgres => {
                let (_, name) = url.rsplit_once('/').expect("database URL has a path");
                seal(name).await;
                Template::Postgres(name.to_owned())
            }
        }
    }
}

/// A new database with every migration applied and nothing else (the
/// service creates the first admin when it starts on it).
pub(super) fn empty(backend: Backend) -> &'static Template {
    static SQLITE: OnceLock<Template> = OnceLock::new();
    static POSTGRES: OnceLock<Template> = OnceLock::new();
    let cell = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    cell.get_or_init(|| build_apart(migrated(backend)))
}

async fn migrated(backend: Backend) -> Template {
    let (url, _dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            (sqlite_url(&dir), Some(dir))
        }
        Backend::Postgres => {
            let name = database_name("rapport_template");
            let (admin, url) = postgres_server(&name).await;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create the template database");
            (url, None)
        }
    };
    let db = connect(&url).await;
    rapport_api::db::migrate(&db).await.expect("migrate");
    db.close().await.expect("close");
    Template::of(backend, &url).await
}

/// Runs `build` to completion on a thread and runtime of its own, so that
/// nothing it started (a service's workers and pools) outlives it, and
/// waiting test runtimes are not involved.
pub(super) fn build_apart<T: Send + 'static>(build: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let built = runtime.block_on(build);
        runtime.shutdown_timeout(Duration::from_secs(5));
        built
    })
    .join()
    .expect("building a template database failed; see the panic above")
}

async fn connect(url: &str) -> DatabaseConnection {
    rapport_api::db::connect(&DatabaseSettings {
        database_url: url.to_owned().into(),
        db_max_connections: 2,
    })
    .await
    .expect("connect to the template database")
}

/// The master key file beside the SQLite database at `url`, if any.
fn key_file(url: &str) -> Option<Vec<u8>> {
    let path = url.strip_prefix("sqlite://")?;
    std::fs::read(format!("{path}.key")).ok()
}

/// Writes a file only its owner may read (as the service makes key files).
fn write_private(path: &std::path::Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, bytes).expect("write the key file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .expect("make the key file private");
}

/// A consistent copy of a SQLite database, even while a service uses it.
async fn snapshot(url: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("snapshot.db");
    let db = Database::connect(url)
        .await
        .expect("open the database to copy");
    db.execute_unprepared(&format!("VACUUM INTO '{}'", path.display()))
        .await
        .expect("copy the database");
    db.close().await.expect("close the database to copy");
    std::fs::read(&path).expect("read the copy")
}

/// Closes a PostgreSQL database to connections and ends those still open,
/// so that it can be copied.
async fn seal(name: &str) {
    let (admin, _) = postgres_server(name).await;
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
        ))
        .await
        .expect("close the template to connections");
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .expect("end the sessions on the template");
}
