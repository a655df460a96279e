//! Users of every role and department for workflow tests (created through
//! `/users`), requests made as them, and direct database access for the
//! hooks other modules call (scores, the outbox).

use rapport_api::config::DatabaseSettings;
use reqwest::{Method, RequestBuilder, Response};
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::helpers::TestApp;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub token: String,
}

/// A connection to the service's database.
pub async fn db(app: &TestApp) -> DatabaseConnection {
    rapport_api::db::connect(&DatabaseSettings {
        database_url: app.database_url.clone().into(),
        db_max_connections: 2,
    })
    .await
    .expect("connect to the test database")
}

/// Creates an active user with `role` in `department` and signs them in.
pub async fn add(app: &TestApp, role: &str, department: Option<&str>) -> Person {
    let (id, token) = app.user(role, department).await;
    Person { id, token }
}

impl TestApp {
    /// A request as `person`.
    pub fn as_person(&self, person: &Person, method: Method, path: &str) -> RequestBuilder {
        self.request_as(&person.token, method, path)
    }

    /// A JSON POST as `person`.
    pub async fn post_as(&self, person: &Person, path: &str, body: &Value) -> Response {
        self.as_person(person, Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("POST")
    }
}
