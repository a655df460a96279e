//! `spawn_app()`: the real service on a fresh SQLite file, or on a fresh
//! PostgreSQL database when `TEST_DATABASE_URL` is set, with an HTTP client
//! signed in as the admin; and the plain requests every resource helper uses.

use std::sync::Once;

use clap::Parser;
use rapport_api::config::Settings;
use rapport_api::http::startup::Application;
use rapport_api::webhooks::resolver::Lookup;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{Database, DatabaseConnection};
use serde_json::Value;

use super::checks::expect_status;

/// Password of the bootstrap admin in tests.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
/// Password of users created by [`TestApp::user`].
pub const USER_PASSWORD: &str = "a long enough password";
/// E-mail of the bootstrap admin in tests.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Master key of services on PostgreSQL in tests (on SQLite the service
/// keeps its key in a file beside the database, as it does by default).
pub const TEST_MASTER_KEY: &str = "dGVzdCBtYXN0ZXIga2V5IG9mIDMyIGJ5dGVzIC4uLi4=";

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

/// The server of `TEST_DATABASE_URL`, and the URL of database `name` on it.
pub(super) async fn postgres_server(name: &str) -> (DatabaseConnection, String) {
    let server = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
    let admin = Database::connect(&server)
        .await
        .expect("connect to TEST_DATABASE_URL");
    let (prefix, _) = server.rsplit_once('/').expect("database URL has a path");
    (admin, format!("{prefix}/{name}"))
}

/// A name for a new PostgreSQL test database.
pub(super) fn database_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A new database, migrated and empty: its URL, and the directory that
/// holds it (SQLite).
async fn database_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    super::template::empty(backend).copy().await
}

/// The URL of the SQLite file a test keeps in `dir`.
pub(super) fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("rapport.db").display())
}

/// Starts the service with extra command-line flags, on a new database.
pub async fn spawn_app_with(backend: Backend, flags: &[&str]) -> TestApp {
    let (url, dir) = database_url(backend).await;
    start(url, dir, flags).await
}

/// Starts the service with default settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts a second service on the database of `app`, as another replica would.
pub async fn spawn_replica(app: &TestApp) -> TestApp {
    spawn_replica_with(app, &[]).await
}

/// As [`spawn_replica`], with extra command-line flags.
pub async fn spawn_replica_with(app: &TestApp, flags: &[&str]) -> TestApp {
    start(app.database_url.clone(), None, flags).await
}

/// Starts the service on a new database with webhook hosts resolved by
/// `dns` (its answers still checked by the service).
pub async fn spawn_app_with_dns(backend: Backend, flags: &[&str], dns: Lookup) -> TestApp {
    let (url, dir) = database_url(backend).await;
    start_with(url, dir, flags, Some(dns)).await
}

/// Starts the service on the database at `url` (which `dir` holds, for SQLite).
pub(super) async fn start(url: String, dir: Option<tempfile::TempDir>, flags: &[&str]) -> TestApp {
    start_with(url, dir, flags, None).await
}

/// As [`start`], with webhook hosts resolved by `dns` when given.
async fn start_with(
    url: String,
    dir: Option<tempfile::TempDir>,
    flags: &[&str],
    dns: Option<Lookup>,
) -> TestApp {
    let app = Application::build_with(settings(&url, flags), dns)
        .await
        .expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    signed_in(base, url, dir).await
}

/// The settings of a test service on the database at `url`, with extra
/// command-line flags.
fn settings(url: &str, flags: &[&str]) -> Settings {
    static RUSTLS: Once = Once::new();
    RUSTLS.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let mut argv = vec![
        "rapport",
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        url,
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
    let keyed = flags.iter().any(|f| f.starts_with("--master-key"));
    if url.starts_with("postgres") && !keyed {
        argv.extend_from_slice(&["--master-key", TEST_MASTER_KEY]);
    }
    argv.extend_from_slice(flags);
    Args::try_parse_from(argv).expect("test settings").settings
}

/// A client of the service at `base` (on the database at `url`, which
/// `dir` holds for SQLite), signed in as the admin.
async fn signed_in(base: String, url: String, dir: Option<tempfile::TempDir>) -> TestApp {
    let mut test = TestApp {
        base,
        database_url: url,
        client: reqwest::Client::new(),
        token: String::new(),
        _dir: dir,
    };
    test.token = test.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    test
}

/// A replica that can be killed: a service on a thread and runtime of its
/// own, which [`Killable::kill`] drops.
pub struct Killable {
    /// A client of the replica, signed in as the admin.
    pub app: TestApp,
    /// Sent (or dropped) to kill the replica.
    kill: tokio::sync::oneshot::Sender<()>,
    /// The replica's thread, which ends once its runtime is gone.
    thread: std::thread::JoinHandle<()>,
}

/// Starts a replica on the database of `app` that [`Killable::kill`] can
/// kill. It is built on a runtime of its own, which runs its background
/// tasks and its server; the server runs its HTTP workers on threads with
/// runtimes of their own, and stops them by force when it is dropped.
pub async fn spawn_killable_replica(app: &TestApp) -> Killable {
    let settings = settings(&app.database_url, &[]);
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let (kill, killed) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let app = Application::build(settings).await.expect("build replica");
            let _ = port_tx.send(app.port());
            tokio::spawn(app.run_until_stopped());
            let _ = killed.await;
        });
        drop(runtime);
    });
    let port = port_rx.await.expect("the replica started");
    let base = format!("http://127.0.0.1:{port}");
    let app = signed_in(base, app.database_url.clone(), None).await;
    Killable { app, kill, thread }
}

impl Killable {
    /// Kills the replica, much as a crash would: its runtime is dropped,
    /// which ends every task of it where it stands. The server is among
    /// them: its drop closes the listener and stops the HTTP workers by
    /// force, which drop their connections and in-flight requests unanswered
    /// (and with them their transactions, which the database rolls back as
    /// their connections close). Unlike a crash, a request a worker serves
    /// in the instant between may be answered 500, the database connection
    /// it uses gone with the runtime. Returns once the runtime is gone and
    /// the listener closed (the workers' threads end a moment later).
    pub async fn kill(self) {
        let _ = self.kill.send(());
        tokio::task::spawn_blocking(move || self.thread.join())
            .await
            .expect("join the replica's thread")
            .expect("the replica's thread panicked; see above");
    }
}

/// Plain requests: the admin's by default, `*_as` with another bearer token
/// (a user's access token or an API key).
impl TestApp {
    /// Absolute URL of an API path (`/customers` -> `http://.../api/v1/customers`).
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    /// Absolute URL of a path outside the API (`/healthz`, `/docs/`).
    pub fn root(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to an API path with another bearer token.
    pub fn request_as(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.api(path))
            .bearer_auth(token)
    }

    /// A request to an API path with the admin's token.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_as(&self.token, method, path)
    }

    /// A request to an API path with no credentials at all.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.api(path))
    }

    /// A request with a raw body of `content_type` (for malformed JSON).
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        self.request(Method::POST, path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// A request as `token`, with a JSON body when given.
    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.request_as(token, method.clone(), path);
        if let Some(body) = body {
            request = request.json(body);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.send_as(token, Method::GET, path, None).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.send_as(token, Method::POST, path, Some(body)).await
    }

    pub async fn patch_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.send_as(token, Method::PATCH, path, Some(body)).await
    }

    pub async fn delete_as(&self, token: &str, path: &str) -> Response {
        self.send_as(token, Method::DELETE, path, None).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.get_as(&self.token, path).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.post_as(&self.token, path, body).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.patch_as(&self.token, path, body).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.send_as(&self.token, Method::PUT, path, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.delete_as(&self.token, path).await
    }

    /// A request with an `If-Match: "version"` precondition.
    pub async fn send_if_match(
        &self,
        method: Method,
        path: &str,
        if_match: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.request(method, path).header("If-Match", if_match);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("conditional request")
    }

    /// A JSON POST with an `Idempotency-Key`.
    pub async fn post_once(&self, token: &str, path: &str, key: &str, body: &Value) -> Response {
        self.request_as(token, Method::POST, path)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("POST with an idempotency key")
    }

    /// The JSON body of a GET, asserting 200.
    pub async fn fetch(&self, path: &str) -> Value {
        expect_status(self.get(path).await, 200).await
    }

    /// Creates a resource, asserting 201, and returns its body.
    pub async fn create(&self, path: &str, body: &Value) -> Value {
        let response = self.post(path, body).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {body}");
        body
    }

    /// Changes a resource, asserting 200, and returns its body.
    pub async fn change(&self, path: &str, body: &Value) -> Value {
        expect_status(self.patch(path, body).await, 200).await
    }

    /// Deletes a resource, asserting 204.
    pub async fn remove(&self, path: &str) {
        expect_status(self.delete(path).await, 204).await;
    }

    /// Every row of a list endpoint, following cursors (pages of 500, the
    /// largest, unless the query names a limit).
    pub async fn list_all(&self, path_and_query: &str) -> Vec<Value> {
        let sep = if path_and_query.contains('?') {
            '&'
        } else {
            '?'
        };
        let first = if path_and_query.contains("limit=") {
            path_and_query.to_owned()
        } else {
            format!("{path_and_query}{sep}limit=500")
        };
        let mut rows = Vec::new();
        let mut url = first.clone();
        loop {
            let page: Value = expect_status(self.get(&url).await, 200).await;
            rows.extend(page["data"].as_array().expect("data array").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => url = format!("{first}&cursor={next}"),
                None => return rows,
            }
        }
    }

    /// Number of rows a list endpoint returns.
    pub async fn count(&self, path_and_query: &str) -> usize {
        self.list_all(path_and_query).await.len()
    }
}
