//! SQLite's memory statistics are off once the service has opened a SQLite
//! database (`db::connect`): with them on, every allocation in SQLite takes
//! one process-wide mutex. A test binary of its own, so that no other test
//! initialises SQLite first.

use rapport_api::config::DatabaseSettings;
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn opening_a_sqlite_database_turns_the_memory_statistics_off() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("stats.db").display());
    let settings = DatabaseSettings {
        database_url: url.into(),
        db_max_connections: 2,
    };
    let db = rapport_api::db::connect(&settings).await.unwrap();
    db.execute_unprepared("CREATE TABLE t (x TEXT); INSERT INTO t VALUES (hex(randomblob(4096)));")
        .await
        .unwrap();
    // SQLite counts the bytes it holds only while the statistics are on:
    // an open connection with a page cache holds far more than nothing.
    // SAFETY: a read of SQLite's counter, callable from any thread.
    let used = unsafe { libsqlite3_sys::sqlite3_memory_used() };
    assert_eq!(used, 0, "SQLite's memory statistics are on");
}
