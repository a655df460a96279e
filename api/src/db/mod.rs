//! Connecting to SQLite or PostgreSQL and applying migrations.

pub mod bulk_load;

use std::time::Duration;

use rapport_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    TransactionTrait,
};

use secrecy::ExposeSecret;

use crate::domain::{DomainError, ErrorCode};

use crate::config::DatabaseSettings;

/// The URL with SQLite's create-if-missing mode added when no mode is given.
fn normalise_url(url: &str) -> String {
    if url.starts_with("sqlite:") && !url.contains("mode=") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}mode=rwc")
    } else {
        url.to_owned()
    }
}

/// SQLite page cache, in KiB, for bulk loads. Imported interactions land in
/// five indexes at scattered places; with SQLite's default 2 MiB cache every
/// row reads and writes evicted pages again (850,000 `pwrite`s for 100,000
/// rows). Measured on 1,000,000 rows, alternating runs: 256 MiB took
/// 36.2-36.5 s at 502 MiB peak, 128 MiB 37.5-39.8 s at 349 MiB, 64 MiB
/// 38.9-43.7 s at 270 MiB; 64 MiB keeps an import under 300 MiB.
const BULK_LOAD_CACHE_KIB: u32 = 64 * 1024;

/// Opens the pool. SQLite runs in WAL mode with foreign keys on and a busy
/// timeout, so readers never block the writer.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, anyhow::Error> {
    open(settings, None).await
}

/// Opens the pool for a short-lived bulk load (`rapport import`): as
/// [`connect`], with one connection and a large SQLite page cache. The load
/// is sequential, and the cache is per connection: a pool of 16 would grow
/// towards 16 of them (3.9 GiB over 10M rows at 256 MiB each) as it cycles
/// through its connections, each cache going stale whenever another one
/// writes. The service does not use it, since the cache would count against
/// its memory budget for as long as it runs.
pub async fn connect_for_bulk_load(
    settings: &DatabaseSettings,
) -> Result<DatabaseConnection, anyhow::Error> {
    open(&one_connection(settings), Some(BULK_LOAD_CACHE_KIB)).await
}

/// `settings` with a pool of one connection.
fn one_connection(settings: &DatabaseSettings) -> DatabaseSettings {
    DatabaseSettings {
        db_max_connections: 1,
        ..settings.clone()
    }
}

/// Opens one connection, with the default cache, for the lookups a bulk
/// load makes while its own connection ([`connect_for_bulk_load`]) writes.
pub async fn connect_for_lookups(
    settings: &DatabaseSettings,
) -> Result<DatabaseConnection, anyhow::Error> {
    open(&one_connection(settings), None).await
}

/// Turns off SQLite's memory statistics, once per process and before the
/// library initialises (SQLite's recommended `SQLITE_DEFAULT_MEMSTATUS=0`).
/// With them on, every allocation and free in SQLite takes one global
/// mutex; sqlx copies each row's values on its worker thread and frees them
/// on the thread that reads the stream, so a long read (training on a
/// million interactions) spent a fifth of its time in that mutex's futex
/// wakes (`perf`). Once SQLite is initialised the call is refused and
/// changes nothing, so a late call is harmless.
fn sqlite_without_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `sqlite3_config` may be called from any thread before
        // `sqlite3_initialize` (else it returns SQLITE_MISUSE and does
        // nothing); MEMSTATUS takes one int. `Once` keeps calls apart.
        let code = unsafe {
            libsqlite3_sys::sqlite3_config(
                libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
                std::ffi::c_int::from(0u8),
            )
        };
        tracing::debug!(code, "SQLite memory statistics off");
    });
}

async fn open(
    settings: &DatabaseSettings,
    cache_kib: Option<u32>,
) -> Result<DatabaseConnection, anyhow::Error> {
    let url = normalise_url(settings.database_url.expose_secret());
    if url.starts_with("sqlite:") {
        sqlite_without_memory_statistics();
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.db_max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    options.map_sqlx_sqlite_opts(move |opts| {
        let opts = opts
            .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        match cache_kib {
            // A negative cache size is in KiB rather than pages.
            Some(kib) => opts.pragma("cache_size", format!("-{kib}")),
            None => opts,
        }
    });
    let db = Database::connect(options).await?;
    Ok(db)
}

/// Applies every pending migration, and finishes a bulk load that was cut
/// short ([`bulk_load::restore`]).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), anyhow::Error> {
    Migrator::up(db, None).await?;
    bulk_load::restore(db).await?;
    Ok(())
}

/// Seconds a client is told to wait when the pool is exhausted.
const POOL_RETRY_AFTER: u64 = 1;

/// Starts a transaction that will write. On SQLite it takes the write lock
/// first (a no-op `UPDATE`), waiting for other writers under the busy
/// timeout: a transaction that read first and wrote later would instead be
/// refused at once when another writer committed in between (its snapshot
/// is stale). PostgreSQL needs nothing of the kind.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        txn.execute_unprepared("UPDATE app_settings SET value = value WHERE 0")
            .await?;
    }
    Ok(txn)
}

/// Serialises, until `txn` ends, every transaction that takes the lock
/// `name`: a PostgreSQL advisory transaction lock on a stable hash of the
/// name. On SQLite a transaction from [`begin_write`] already holds the one
/// write lock, so nothing more is needed.
pub async fn serialise(txn: &DatabaseTransaction, name: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    // FNV-1a: stable across builds and releases, unlike `DefaultHasher`.
    let key = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) as i64;
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Whether `err` is the database refusing a statement because of a
/// concurrent transaction, which a retry resolves: SQLite's `SQLITE_BUSY`
/// and `SQLITE_LOCKED` (with their extended codes, such as a read
/// transaction that may no longer write), PostgreSQL's serialization
/// failure and deadlock.
fn contended(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let sea_orm::sqlx::Error::Database(e) = e.as_ref() else {
        return false;
    };
    let Some(code) = e.code() else {
        return false;
    };
    match code.parse::<u32>() {
        // SQLite's primary code is the low byte of the extended code.
        Ok(sqlite)
            if e.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some() =>
        {
            matches!(sqlite & 0xff, 5 | 6)
        }
        _ => matches!(code.as_ref(), "40001" | "40P01"),
    }
}

/// What a database error means to a use case: a unique or foreign key
/// violation is a conflict, an exhausted pool or a lost connection is a
/// retryable unavailability, anything else an internal error with context.
pub fn classify(err: DbErr) -> DomainError {
    use sea_orm::SqlErr;
    if contended(&err) {
        return DomainError::Unavailable {
            detail: "the database is busy with a concurrent change; retry shortly".to_owned(),
            retry_after: POOL_RETRY_AFTER,
        };
    }
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            return DomainError::conflict(
                ErrorCode::Conflict,
                "a record with the same unique value already exists",
            );
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
            return DomainError::conflict(
                ErrorCode::Conflict,
                "the record refers to, or is referred to by, another record",
            );
        }
        _ => {}
    }
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => DomainError::Unavailable {
            detail: "the database is busy or unreachable; retry shortly".to_owned(),
            retry_after: POOL_RETRY_AFTER,
        },
        DbErr::Exec(_)
        | DbErr::Query(_)
        | DbErr::TryIntoErr { .. }
        | DbErr::ConvertFromU64(_)
        | DbErr::UnpackInsertId
        | DbErr::UpdateGetPrimaryKey
        | DbErr::RecordNotFound(_)
        | DbErr::AttrNotSet(_)
        | DbErr::Custom(_)
        | DbErr::Type(_)
        | DbErr::Json(_)
        | DbErr::Migration(_)
        | DbErr::RecordNotInserted
        | DbErr::RecordNotUpdated
        | DbErr::BackendNotSupported { .. }
        | DbErr::KeyArityMismatch { .. }
        | DbErr::PrimaryKeyNotSet { .. }
        | DbErr::RbacError(_)
        | DbErr::AccessDenied { .. }
        | DbErr::MutexPoisonError => {
            DomainError::Internal(anyhow::Error::new(err).context("database error"))
        }
        // `DbErr` is `#[non_exhaustive]`: variants added by a later sea-orm
        // are internal until they are named above.
        other => DomainError::Internal(anyhow::Error::new(other).context("database error")),
    }
}

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        classify(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(
            normalise_url("sqlite://rapport.db"),
            "sqlite://rapport.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://a.db?x=1"),
            "sqlite://a.db?x=1&mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
        assert_eq!(normalise_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
