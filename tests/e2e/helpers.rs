//! `spawn_app()`: the real service on a fresh SQLite file, or on a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set, with an HTTP client.

use std::sync::Once;

use clap::Parser;
use rapport_api::config::Settings;
use rapport_api::http::startup::Application;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

/// Password of the bootstrap admin in tests.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
/// Password of users created by [`TestApp::user`].
pub const USER_PASSWORD: &str = "a long enough password";
/// E-mail of the bootstrap admin in tests.
pub const ADMIN_EMAIL: &str = "admin@example.com";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: Settings,
}

/// A running service and a client signed in as the admin.
pub struct TestApp {
    pub base: String,
    /// The database the service uses (shared by replicas).
    pub database_url: String,
    pub client: reqwest::Client,
    pub token: String,
    _dir: Option<tempfile::TempDir>,
}

/// Where a test's service keeps its data.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    /// A fresh SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the server of `TEST_DATABASE_URL`.
    Postgres,
}

impl Backend {
    /// Whether this backend can run here (PostgreSQL needs `TEST_DATABASE_URL`).
    pub fn available(self) -> bool {
        match self {
            Backend::Sqlite => true,
            Backend::Postgres => std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()),
        }
    }
}

async fn database_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Postgres => {
            let server = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
            let name = format!("rapport_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&server)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let (prefix, _) = server.rsplit_once('/').expect("database URL has a path");
            (format!("{prefix}/{name}"), None)
        }
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("rapport.db").display());
            (url, Some(dir))
        }
    }
}

/// Starts the service with extra command-line flags.
pub async fn spawn_app_with(backend: Backend, flags: &[&str]) -> TestApp {
    static RUSTLS: Once = Once::new();
    RUSTLS.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let (url, dir) = database_url(backend).await;
    start(url, dir, flags).await
}

/// Starts a second service on the database of `app`, as another replica would.
pub async fn spawn_replica(app: &TestApp) -> TestApp {
    start(app.database_url.clone(), None, &[]).await
}

async fn start(url: String, dir: Option<tempfile::TempDir>, flags: &[&str]) -> TestApp {
    let mut argv = vec![
        "rapport",
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        &url,
        "--admin-email",
        ADMIN_EMAIL,
        "--admin-password",
        ADMIN_PASSWORD,
        "--workers",
        "2",
        "--db-max-connections",
        "4",
        "--log",
        "warn",
        "--model-poll",
        "1",
    ];
    argv.extend_from_slice(flags);
    let settings = Args::try_parse_from(argv).expect("test settings").settings;
    let app = Application::build(settings).await.expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let mut test = TestApp {
        base,
        database_url: url.clone(),
        client,
        token: String::new(),
        _dir: dir,
    };
    test.token = test.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    test
}

/// Starts the service with default settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

impl TestApp {
    /// Absolute URL of an API path (`/customers` -> `http://.../api/v1/customers`).
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let body = self.session(email, password).await;
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// Signs in and returns the whole session (access and refresh tokens, user).
    pub async fn session(&self, email: &str, password: &str) -> Value {
        let response = self.try_login(email, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login failed");
        response.json().await.expect("login body")
    }

    /// A sign-in attempt, whatever its outcome.
    pub async fn try_login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.api("/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    /// Creates a user with `role` (and department) through the API and
    /// returns its id and an access token.
    pub async fn user(&self, role: &str, department: Option<&str>) -> (String, String) {
        let email = format!("{role}-{}@example.com", uuid::Uuid::new_v4().simple());
        let created = self
            .create(
                "/users",
                &json!({"email": email, "name": format!("A {role}"), "role": role,
                        "department": department, "password": USER_PASSWORD}),
            )
            .await;
        let token = self.login(&email, USER_PASSWORD).await;
        (created["id"].as_str().expect("id").to_owned(), token)
    }

    /// A request to an API path with another bearer token.
    pub fn request_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.api(path))
            .bearer_auth(token)
    }

    /// A request to an API path with the admin's token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.api(path))
            .bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path)
            .json(body)
            .send()
            .await
            .expect("PATCH")
    }

    /// Creates a resource, asserting 201, and returns its body.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Every row of a list endpoint, following cursors.
    pub async fn list_all(&self, path_and_query: &str) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path_and_query.contains('?') {
                '&'
            } else {
                '?'
            };
            let url = match &cursor {
                Some(c) => format!("{path_and_query}{sep}cursor={c}"),
                None => path_and_query.to_owned(),
            };
            let page: Value = expect_status(self.get(&url).await, 200).await;
            rows.extend(page["data"].as_array().expect("data array").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return rows,
            }
        }
    }

    /// Number of rows a list endpoint returns.
    pub async fn count(&self, path_and_query: &str) -> usize {
        self.list_all(path_and_query).await.len()
    }
}

/// Asserts the status and returns the JSON body.
pub async fn expect_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// Asserts a problem+json response with this status and code; returns it.
pub async fn expect_problem(response: Response, status: u16, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    body
}

/// Asks `check` every 100 ms until it holds; fails naming `what` when it
/// still does not after `within`.
pub async fn eventually(
    what: &str,
    within: std::time::Duration,
    mut check: impl AsyncFnMut() -> bool,
) {
    let deadline = std::time::Instant::now() + within;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within {within:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
