//! Users of every role and department for workflow tests, inserted straight
//! into the service's database, and requests made as them.

use std::sync::OnceLock;

use chrono::Utc;
use rapport_api::config::DatabaseSettings;
use rapport_api::entities::user;
use reqwest::{Method, RequestBuilder, Response};
use sea_orm::{ActiveModelTrait, DatabaseConnection};
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

const PASSWORD: &str = "a long enough test password";

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub token: String,
}

/// A connection to the service's database.
pub async fn db(app: &TestApp) -> DatabaseConnection {
    rapport_api::db::connect(&DatabaseSettings {
        database_url: app.database_url.clone(),
        db_max_connections: 2,
    })
    .await
    .expect("connect to the test database")
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| rapport_api::auth::password::hash(PASSWORD).expect("hash"))
}

/// Creates an active user with `role` in `department` and signs them in.
pub async fn add(
    app: &TestApp,
    db: &DatabaseConnection,
    role: &'static str,
    department: Option<&'static str>,
) -> Person {
    let id = Uuid::now_v7();
    let email = format!("{role}-{}@example.com", id.simple());
    let now = Utc::now();
    user::ActiveModel::from(user::Model {
        id,
        email: email.clone(),
        name: format!("{role} {}", department.unwrap_or("-")),
        role: role.to_owned(),
        department: department.map(str::to_owned),
        password_hash: password_hash().to_owned(),
        active: true,
        token_version: 0,
        version: 1,
        created_at: now,
        updated_at: now,
    })
    .insert(db)
    .await
    .expect("insert user");
    let token = app.login(&email, PASSWORD).await;
    Person {
        id: id.to_string(),
        token,
    }
}

impl TestApp {
    /// A request as `person`.
    pub fn as_person(&self, person: &Person, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.api(path))
            .bearer_auth(&person.token)
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
