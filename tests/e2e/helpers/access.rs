//! Users, sessions, API keys and the audit log: who calls, and what was
//! recorded about it.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use super::app::{TestApp, USER_PASSWORD};
use super::checks::{expect_status, id_of};

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    /// A sign-in attempt, whatever its outcome.
    pub async fn try_login(&self, email: &str, password: &str) -> Response {
        self.anonymous(Method::POST, "/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    /// Signs in and returns the whole session (access and refresh tokens, user).
    pub async fn session(&self, email: &str, password: &str) -> Value {
        let response = self.try_login(email, password).await;
        expect_status(response, 200).await
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let body = self.session(email, password).await;
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// Exchanges a refresh token, whatever the outcome.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.anonymous(Method::POST, "/auth/refresh")
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
            .expect("refresh request")
    }

    /// Signs out a refresh token, asserting 204.
    pub async fn logout(&self, refresh_token: &str) {
        let response = self
            .anonymous(Method::POST, "/auth/logout")
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
            .expect("logout request");
        expect_status(response, 204).await;
    }

    /// `GET /me` with `token`, whatever the outcome.
    pub async fn me_as(&self, token: &str) -> Response {
        self.get_as(token, "/me").await
    }

    /// The signed-in admin, as `GET /me` shows them.
    pub async fn me(&self) -> Value {
        self.fetch("/me").await
    }

    /// The admin's user id.
    pub async fn admin_id(&self) -> String {
        id_of(&self.me().await)
    }

    /// Creates a user with `role` (and department) through the API, asserting
    /// 201, and signs them in.
    pub async fn user(&self, role: &str, department: Option<&str>) -> Person {
        let email = format!("{role}-{}@example.com", uuid::Uuid::new_v4().simple());
        let created = self
            .create(
                "/users",
                &json!({"email": email, "name": format!("A {role}"), "role": role,
                        "department": department, "password": USER_PASSWORD}),
            )
            .await;
        let token = self.login(&email, USER_PASSWORD).await;
        Person {
            id: id_of(&created),
            email,
            token,
        }
    }

    /// A user as the admin sees it, asserting 200.
    pub async fn get_user(&self, id: &str) -> Value {
        self.fetch(&format!("/users/{id}")).await
    }

    /// Deactivates a user, asserting 204.
    pub async fn deactivate_user(&self, id: &str) {
        self.remove(&format!("/users/{id}")).await;
    }

    /// Creates an API key named `name`, asserting 201; the body holds the key.
    pub async fn create_api_key(&self, name: &str) -> Value {
        self.create("/api-keys", &json!({"name": name})).await
    }

    /// Revokes an API key, asserting 204.
    pub async fn revoke_api_key(&self, id: &str) {
        self.remove(&format!("/api-keys/{id}")).await;
    }

    /// Every audit entry matching `query` (`action=...&resource_id=...`), newest first.
    pub async fn audit(&self, query: &str) -> Vec<Value> {
        self.list_all(&format!("/audit-log?{query}")).await
    }

    /// The actions of the audit entries matching `query`, newest first.
    pub async fn audited_actions(&self, query: &str) -> Vec<String> {
        super::checks::strings(&self.audit(query).await, "action")
    }
}
