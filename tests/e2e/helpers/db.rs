//! Direct access to the service's database, for what no route does: the
//! hooks other modules call (scores, the outbox) and damaged rows.

use rapport_api::config::DatabaseSettings;
use sea_orm::DatabaseConnection;

use super::app::TestApp;

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
