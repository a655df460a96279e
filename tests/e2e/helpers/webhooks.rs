//! Webhooks: subscriptions, the delivery log, and a real receiver that
//! records what it gets and can be told to fail.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::app::TestApp;

/// Flags for quick deliveries to a receiver on loopback: polled every
/// 100 ms, first retry after 200 ms.
pub const FAST: [&str; 5] = [
    "--webhook-allow-private",
    "--webhook-poll-ms",
    "100",
    "--webhook-retry-base-ms",
    "200",
];

/// How long the receiver takes to answer a failing delivery.
pub const SLOW_FAILURE: Duration = Duration::from_millis(150);

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Hit {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON webhook body")
    }
}

#[derive(Default)]
struct Inbox {
    hits: Mutex<Vec<Hit>>,
    failures_left: AtomicUsize,
}

/// A real HTTP endpoint that answers 500 (slowly) while it has failures
/// left, then 204.
pub struct Receiver {
    pub url: String,
    inbox: Arc<Inbox>,
}

async fn record(req: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let body = String::from_utf8_lossy(&body).into_owned();
    inbox
        .hits
        .lock()
        .expect("inbox lock")
        .push(Hit { headers, body });
    let failing = inbox
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        // A slow failure, so that the delivery log's latency can be checked.
        tokio::time::sleep(SLOW_FAILURE).await;
        HttpResponse::InternalServerError().body("try again")
    } else {
        HttpResponse::NoContent().finish()
    }
}

/// Starts a receiver that fails the first `failures` requests.
pub async fn receiver(failures: usize) -> Receiver {
    let inbox = Arc::new(Inbox {
        failures_left: AtomicUsize::new(failures),
        ..Inbox::default()
    });
    let data = web::Data::from(inbox.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    let url = format!(
        "http://127.0.0.1:{}/hooks/rapport",
        listener.local_addr().expect("local address").port()
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(record))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    Receiver { url, inbox }
}

impl Receiver {
    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.inbox.hits.lock().expect("inbox lock").clone()
    }

    /// From now on, answer every request with 204.
    pub fn recover(&self) {
        self.inbox.failures_left.store(0, Ordering::SeqCst);
    }

    /// Waits until at least `n` requests arrived (at most 15 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        for _ in 0..150 {
            if self.hits().len() >= n {
                return self.hits();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("only {} of {n} requests arrived", self.hits().len());
    }
}

/// Checks a Standard Webhooks signature made with `secret` (`whsec_...`):
/// the header holds exactly that signature.
pub fn verify(secret: &str, hit: &Hit) {
    assert_eq!(hit.headers["webhook-signature"], signature(secret, hit));
}

/// Whether one of the space-separated signatures of `hit` is `secret`'s.
pub fn signed_by(secret: &str, hit: &Hit) -> bool {
    let expected = signature(secret, hit);
    hit.headers["webhook-signature"]
        .split(' ')
        .any(|s| s == expected)
}

/// The signature `secret` gives `hit`.
fn signature(secret: &str, hit: &Hit) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let id = &hit.headers["webhook-id"];
    let timestamp: i64 = hit.headers["webhook-timestamp"]
        .parse()
        .expect("numeric timestamp");
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC key");
    mac.update(format!("{id}.{timestamp}.{}", hit.body).as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

impl TestApp {
    /// Subscribes `url` to `events`, asserting 201; the body holds the secret.
    pub async fn subscribe(&self, url: &str, events: Value) -> Value {
        self.create("/webhooks", &json!({"url": url, "events": events}))
            .await
    }

    /// The delivery log of a webhook, newest first.
    pub async fn deliveries(&self, hook: &Value) -> Vec<Value> {
        let id = hook["id"].as_str().expect("webhook id");
        self.list_all(&format!("/webhooks/{id}/deliveries")).await
    }

    /// Waits (at most 5 s) until the newest delivery of `hook` has `status`;
    /// returns the log.
    pub async fn wait_for_delivery(&self, hook: &Value, status: &str) -> Vec<Value> {
        let mut log = Vec::new();
        for _ in 0..50 {
            log = self.deliveries(hook).await;
            if log.first().is_some_and(|d| d["status"] == status) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(log[0]["status"], status, "{log:?}");
        log
    }
}
