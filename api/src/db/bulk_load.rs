//! Large loads into `interactions` the way `pg_restore` loads a table: when
//! an import brings at least as many rows as the table holds (a first load,
//! or one that doubles it), its secondary indexes and the checks of its
//! foreign keys are set aside before the rows go in and restored after,
//! each index built once from sorted keys instead of updated row by row,
//! and each foreign key checked by one scan instead of a lookup (and on
//! PostgreSQL a row lock) per row.
//!
//! The statements that restore them are kept in `deferred_rebuilds`,
//! written in the transaction that drops what they restore and deleted in
//! the one that runs them, so a load cut short is finished by the next
//! process that opens the database ([`super::migrate`]). While a foreign
//! key is set aside a referenced row may go: its restore first does to the
//! rows that still point at it what the key's `ON DELETE` rule would have
//! done (delete them, or set the reference to null).

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};

use super::{begin_write, serialise};

/// Rows below which a load keeps every index: restoring them scans and
/// sorts the whole table.
pub const MIN_ROWS: u64 = 10_000;

/// SQLite's page cache, and so its sort memory, while indexes are rebuilt.
const SORT_KIB: u32 = 16 * 1024;

/// The lock that serialises setting aside and restoring.
const LOCK: &str = "interactions bulk load";

/// Whether a load of `incoming` rows into a table of `existing` sets its
/// indexes aside.
pub fn worthwhile(incoming: u64, existing: u64) -> bool {
    incoming >= MIN_ROWS && incoming >= existing
}

/// Rows `interactions` holds, counted up to `limit` (enough for
/// [`worthwhile`], without scanning a table larger than the load).
pub async fn rows_up_to(db: &DatabaseConnection, limit: u64) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM interactions LIMIT {}) t",
        limit.saturating_add(1)
    );
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("a count".into()))?;
    Ok(u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0))
}

/// What separates the statements of one restore.
const STATEMENTS: &str = ";\n";

/// One thing set aside: its name, the statement that drops it (none for
/// SQLite's foreign keys) and the ones that restore it.
struct Deferred {
    name: String,
    drop: Option<String>,
    restore: String,
}

/// The secondary (not unique) indexes of `interactions` and its
/// single-column foreign keys, as the database describes them.
async fn deferrable(txn: &impl ConnectionTrait) -> Result<Vec<Deferred>, DbErr> {
    let backend = txn.get_database_backend();
    let indexes = match backend {
        DbBackend::Sqlite => {
            "SELECT name, sql AS definition FROM sqlite_master WHERE type = 'index' \
             AND tbl_name = 'interactions' AND sql IS NOT NULL \
             AND sql NOT LIKE 'CREATE UNIQUE%'"
        }
        _ => {
            "SELECT indexname AS name, indexdef AS definition FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = 'interactions' \
             AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        }
    };
    let mut deferred = Vec::new();
    for row in txn
        .query_all_raw(Statement::from_string(backend, indexes))
        .await?
    {
        let name: String = row.try_get("", "name")?;
        deferred.push(Deferred {
            drop: Some(format!("DROP INDEX \"{name}\"")),
            restore: row.try_get("", "definition")?,
            name,
        });
    }
    let keys = match backend {
        DbBackend::Sqlite => {
            "SELECT \"from\" AS col, \"table\" AS parent, \"to\" AS parent_col, \
             on_delete, '' AS name, '' AS definition \
             FROM pragma_foreign_key_list('interactions')"
        }
        _ => {
            "SELECT c.conname::text AS name, pg_get_constraintdef(c.oid) AS definition, \
             c.confdeltype::text AS on_delete, a.attname::text AS col, \
             p.relname::text AS parent, pa.attname::text AS parent_col \
             FROM pg_constraint c \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             JOIN pg_class p ON p.oid = c.confrelid \
             JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1] \
             WHERE c.conrelid = 'interactions'::regclass AND c.contype = 'f' \
             AND cardinality(c.conkey) = 1"
        }
    };
    for row in txn
        .query_all_raw(Statement::from_string(backend, keys))
        .await?
    {
        let [name, definition, on_delete, col, parent, parent_col]: [String; 6] = [
            row.try_get("", "name")?,
            row.try_get("", "definition")?,
            row.try_get("", "on_delete")?,
            row.try_get("", "col")?,
            row.try_get("", "parent")?,
            row.try_get("", "parent_col")?,
        ];
        let orphans = format!(
            "\"{col}\" IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM \"{parent}\" p WHERE p.\"{parent_col}\" = interactions.\"{col}\")"
        );
        let cleanup = if on_delete == "n" || on_delete == "SET NULL" {
            format!("UPDATE interactions SET \"{col}\" = NULL WHERE {orphans}")
        } else {
            format!("DELETE FROM interactions WHERE {orphans}")
        };
        deferred.push(match backend {
            // SQLite keeps the key in the table: checks are turned off for
            // the loading connection ([`set_aside`]), nothing is dropped.
            DbBackend::Sqlite => Deferred {
                name: format!("interactions.{col} references"),
                drop: None,
                restore: cleanup,
            },
            _ => Deferred {
                drop: Some(format!(
                    "ALTER TABLE interactions DROP CONSTRAINT \"{name}\""
                )),
                restore: format!(
                    "{cleanup}{STATEMENTS}ALTER TABLE interactions ADD CONSTRAINT \"{name}\" \
                     {definition}"
                ),
                name,
            },
        });
    }
    Ok(deferred)
}

/// Sets aside the secondary indexes of `interactions` and the checks of its
/// foreign keys (on SQLite, for the connection of `db`, which a bulk load
/// holds alone), noting in `deferred_rebuilds` how to restore them.
pub async fn set_aside(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    serialise(&txn, LOCK).await?;
    let backend = txn.get_database_backend();
    for item in deferrable(&txn).await? {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                DbBackend::Sqlite => {
                    "INSERT INTO deferred_rebuilds (name, statement) VALUES (?, ?) \
                     ON CONFLICT (name) DO NOTHING"
                }
                _ => {
                    "INSERT INTO deferred_rebuilds (name, statement) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING"
                }
            },
            [item.name.into(), item.restore.into()],
        ))
        .await?;
        if let Some(drop) = &item.drop {
            txn.execute_unprepared(drop).await?;
        }
    }
    txn.commit().await?;
    if backend == DbBackend::Sqlite {
        // For this connection only (a bulk load has one), until `restore`.
        db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    }
    Ok(())
}

/// Runs one noted restore. A cleanup followed by the constraint it makes
/// hold (a PostgreSQL foreign key) is tried constraint first, in a
/// savepoint: the cleanup is a scan of the table of its own, needed only
/// when a referenced row went during the load.
async fn run_restore(txn: &DatabaseTransaction, statements: &str) -> Result<(), DbErr> {
    let parts: Vec<&str> = statements.split(STATEMENTS).collect();
    if let [_cleanup, .., last] = parts.as_slice() {
        let attempt = txn.begin().await?;
        if attempt.execute_unprepared(last).await.is_ok() {
            return attempt.commit().await;
        }
        attempt.rollback().await?;
    }
    for statement in parts {
        txn.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// Runs and forgets every statement noted in `deferred_rebuilds`, in one
/// transaction; nothing to do when nothing was set aside.
pub async fn restore(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite {
        // Back on before the orphans go, so that deleting them cascades.
        db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    }
    let txn = begin_write(db).await?;
    serialise(&txn, LOCK).await?;
    let pending = txn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT statement FROM deferred_rebuilds ORDER BY name",
        ))
        .await?;
    if pending.is_empty() {
        return txn.commit().await;
    }
    // SQLite sorts an index's keys in memory up to the page cache's size,
    // and a small sort is as fast (16 MiB against 64 MiB: 4.9 against 5.3 s
    // for four indexes over 1,000,000 rows, 37 against 135 MB).
    let cache = match backend {
        DbBackend::Sqlite => {
            let row = txn
                .query_one_raw(Statement::from_string(backend, "PRAGMA cache_size"))
                .await?;
            let cache = row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?;
            txn.execute_unprepared(&format!("PRAGMA cache_size = -{SORT_KIB}"))
                .await?;
            cache
        }
        _ => None,
    };
    for row in &pending {
        let statements: String = row.try_get("", "statement")?;
        run_restore(&txn, &statements).await?;
    }
    txn.execute_unprepared("DELETE FROM deferred_rebuilds")
        .await?;
    if let Some(cache) = cache {
        txn.execute_unprepared(&format!("PRAGMA cache_size = {cache}"))
            .await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_aside_only_for_loads_as_large_as_the_table() {
        assert!(worthwhile(MIN_ROWS, 0));
        assert!(worthwhile(1_000_000, 1_000_000));
        assert!(
            !worthwhile(MIN_ROWS - 1, 0),
            "a small load keeps its indexes"
        );
        assert!(!worthwhile(20_000, 20_001), "the table is larger");
    }
}
