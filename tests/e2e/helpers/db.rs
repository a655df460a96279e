//! Direct access to the service's database, for what no route does: the
//! hooks other modules call (scores, the outbox) and damaged rows.

use rapport_api::config::DatabaseSettings;
use rapport_api::secrets::MasterKey;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::app::{TEST_MASTER_KEY, TestApp};

impl TestApp {
    /// A connection to the service's database.
    pub async fn db(&self) -> DatabaseConnection {
        rapport_api::db::connect(&DatabaseSettings {
            database_url: self.database_url.clone().into(),
            db_max_connections: 2,
        })
        .await
        .expect("connect to the test database")
    }
}

impl TestApp {
    /// Everything the service's database holds for `tables`, as text: on
    /// SQLite the bytes of the database files themselves (free pages and the
    /// write-ahead log included), on PostgreSQL every row cast to text.
    pub async fn raw_text(&self, tables: &[&str]) -> String {
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            let mut bytes = Vec::new();
            for suffix in ["", "-wal"] {
                if let Ok(mut file) = std::fs::read(format!("{path}{suffix}")) {
                    bytes.append(&mut file);
                }
            }
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        let db = self.db().await;
        let mut text = String::new();
        for table in tables {
            let rows = db
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT CAST(t AS TEXT) AS row FROM {table} t"),
                ))
                .await
                .expect("read the table");
            for row in rows {
                let row: String = row.try_get("", "row").expect("a row as text");
                text.push_str(&row);
                text.push('\n');
            }
        }
        text
    }

    /// The master key the service seals secrets with: the key file beside
    /// the SQLite database, or the tests' key on PostgreSQL.
    pub fn master_key(&self) -> MasterKey {
        let text = match self.database_url.strip_prefix("sqlite://") {
            Some(path) => std::fs::read_to_string(format!("{path}.key")).expect("the key file"),
            None => TEST_MASTER_KEY.to_owned(),
        };
        MasterKey::from_base64(&text).expect("a master key")
    }

    /// A stored value of `app_settings`.
    pub async fn app_setting(&self, key: &str) -> String {
        use sea_orm::EntityTrait;
        rapport_api::entities::app_setting::Entity::find_by_id(key.to_owned())
            .one(&self.db().await)
            .await
            .expect("read app_settings")
            .expect("the setting")
            .value
    }
}
