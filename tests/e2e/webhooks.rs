//! Webhooks: SSRF guard, secret shown once, Standard Webhooks signatures
//! checked by a real receiver, retry with the same `webhook-id`, the delivery
//! log, manual redelivery, and nothing sent for a rolled-back transaction.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, TestApp, expect_problem, expect_status, spawn_app, spawn_app_with};
use crate::people;
use crate::workflows::{define_demo, start};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    headers: HashMap<String, String>,
    body: String,
}

#[derive(Default)]
pub struct Inbox {
    hits: Mutex<Vec<Hit>>,
    failures_left: AtomicUsize,
}

/// A real HTTP endpoint that answers 500 while `failures_left` > 0, then 204.
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
    inbox.hits.lock().unwrap().push(Hit { headers, body });
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

/// How long the receiver takes to answer a failing delivery.
const SLOW_FAILURE: Duration = Duration::from_millis(150);

pub async fn receiver(failures: usize) -> Receiver {
    let inbox = Arc::new(Inbox {
        failures_left: AtomicUsize::new(failures),
        ..Inbox::default()
    });
    let data = web::Data::from(inbox.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hooks/rapport",
        listener.local_addr().unwrap().port()
    );
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(record))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Receiver { url, inbox }
}

impl Receiver {
    fn hits(&self) -> Vec<Hit> {
        self.inbox.hits.lock().unwrap().clone()
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

const FAST: [&str; 5] = [
    "--webhook-allow-private",
    "--webhook-poll-ms",
    "100",
    "--webhook-retry-base-ms",
    "200",
];

fn verify(secret: &str, hit: &Hit) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let id = &hit.headers["webhook-id"];
    let timestamp: i64 = hit.headers["webhook-timestamp"].parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", hit.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(hit.headers["webhook-signature"], expected);
}

pub async fn subscribe(app: &TestApp, url: &str, events: Value) -> Value {
    app.create("/webhooks", &json!({"url": url, "events": events}))
        .await
}

pub async fn deliveries(app: &TestApp, hook: &Value) -> Vec<Value> {
    app.list_all(&format!(
        "/webhooks/{}/deliveries",
        hook["id"].as_str().unwrap()
    ))
    .await
}

async fn signed_delivery_with_retry(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let inbox = receiver(2).await;
    let hook = subscribe(
        &app,
        &inbox.url,
        json!(["customer.created", "workflow.transitioned"]),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let shown = expect_status(
        app.get(&format!("/webhooks/{}", hook["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert!(shown.get("secret").is_none(), "the secret is shown once");
    let audited = app.list_all("/audit-log?action=webhook.create").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["resource_id"], hook["id"]);
    assert!(
        !audited[0].to_string().contains(&secret),
        "the audit log never holds the secret"
    );

    app.create(
        "/customers",
        &json!({"name": "Ada", "email": "ada@example.com"}),
    )
    .await;
    let hits = inbox.wait_for(3).await;
    assert_eq!(hits.len(), 3, "two failures, then success");
    let ids: Vec<&str> = hits
        .iter()
        .map(|h| h.headers["webhook-id"].as_str())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "same webhook-id on every retry: {ids:?}"
    );
    for hit in &hits {
        verify(&secret, hit);
    }
    let body: Value = serde_json::from_str(&hits[2].body).unwrap();
    assert_eq!(body["type"], "customer.created");
    assert_eq!(body["version"], 1, "the payload's contract version");
    assert_eq!(body["id"], ids[0]);
    assert_eq!(body["data"]["name"], "Ada");

    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = deliveries(&app, &hook).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "succeeded");
    assert_eq!(log[0]["attempts"], 3);
    let codes: Vec<i64> = log[0]["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 500, 204]);
    assert!(log[0]["log"][0]["error"].as_str().unwrap().contains("500"));
    assert!(log[0]["log"][2]["error"].is_null());
    let latency = |attempt: usize| log[0]["log"][attempt]["latency_ms"].as_u64().unwrap();
    let slow = SLOW_FAILURE.as_millis() as u64;
    assert!(latency(0) >= slow, "{} ms", latency(0));
    assert!(latency(1) >= slow, "{} ms", latency(1));

    // Interactions are not subscribed; workflow transitions are.
    define_demo(&app).await;
    let started = start(&app, "churn-save").await;
    app.create(
        "/interactions",
        &json!({"customer_id": started["customer_id"], "kind": "call"}),
    )
    .await;
    expect_status(
        app.post(
            &format!(
                "/workflow-instances/{}/transitions",
                started["id"].as_str().unwrap()
            ),
            &json!({"to": "retention_offer", "expected_version": 1}),
        )
        .await,
        200,
    )
    .await;
    inbox.wait_for(5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bodies: Vec<Value> = inbox.hits()[3..]
        .iter()
        .map(|h| serde_json::from_str(&h.body).unwrap())
        .collect();
    let mut types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    types.sort();
    assert_eq!(
        types,
        ["customer.created", "workflow.transitioned"],
        "no interaction.created"
    );
    let moved = bodies
        .iter()
        .find(|b| b["type"] == "workflow.transitioned")
        .unwrap();
    assert_eq!(moved["data"]["event"]["to_step"], "retention_offer");
    assert_eq!(moved["data"]["instance"]["current_step"], "retention_offer");
    for hit in &inbox.hits() {
        verify(&secret, hit);
    }
}

async fn ssrf_guard_and_manual_redelivery(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = people::add(&app, "manager", None).await;
    let sales = people::add(&app, "sales", Some("sales")).await;
    let good = json!({"url": "https://hooks.example.com/x", "events": ["customer.created"]});
    expect_problem(
        app.post_as(&sales, "/webhooks", &good).await,
        403,
        "forbidden",
    )
    .await;
    for url in [
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest",
        "http://localhost/x",
        "http://[::1]/x",
        "http://10.0.0.8/x",
        "ftp://example.com/x",
        "not a url",
    ] {
        let problem = expect_problem(
            app.post_as(
                &manager,
                "/webhooks",
                &json!({"url": url, "events": ["customer.created"]}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}");
    }
    let problem = expect_problem(
        app.post("/webhooks", &json!({"url": "https://hooks.example.com/x", "events": ["customer.deleted_everything"]})).await,
        422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "events[0]");
    assert_eq!(app.count("/webhooks").await, 0);

    // With the flag, a failing receiver exhausts the attempts, then is redelivered by hand.
    let app = spawn_app_with(
        backend,
        &[&FAST[..], &["--webhook-max-attempts", "2"]].concat(),
    )
    .await;
    let inbox = receiver(usize::MAX).await;
    let hook = subscribe(&app, &inbox.url, json!(["customer.created"])).await;
    app.create("/customers", &json!({"name": "Ada"})).await;
    inbox.wait_for(2).await;
    let mut log = Vec::new();
    for _ in 0..50 {
        log = deliveries(&app, &hook).await;
        if log[0]["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["last_status_code"], 500);
    assert_eq!(inbox.hits().len(), 2);
    inbox.inbox.failures_left.store(0, Ordering::SeqCst);
    let hook_id = hook["id"].as_str().unwrap();
    let delivery = log[0]["id"].as_str().unwrap();
    let again = expect_status(
        app.post(
            &format!("/webhooks/{hook_id}/deliveries/{delivery}/redeliver"),
            &json!({}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(again["status"], "pending");
    let hits = inbox.wait_for(3).await;
    assert_eq!(hits[2].headers["webhook-id"], hits[0].headers["webhook-id"]);
    for _ in 0..50 {
        log = deliveries(&app, &hook).await;
        if log[0]["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(log[0]["status"], "succeeded");
    assert_eq!(log[0]["log"].as_array().unwrap().len(), 3);
    expect_problem(
        app.post(
            &format!(
                "/webhooks/{hook_id}/deliveries/0190f2a4-0000-7000-8000-000000000000/redeliver"
            ),
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

async fn no_event_for_a_rolled_back_transaction(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let inbox = receiver(0).await;
    let hook = subscribe(
        &app,
        &inbox.url,
        json!(["customer.created", "model.activated"]),
    )
    .await;
    let db = people::db(&app).await;
    let txn = db.begin().await.unwrap();
    let ghost = rapport_api::domain::event::ModelActivated {
        model_id: uuid::Uuid::nil(),
        engine: "ghost".to_owned(),
    };
    rapport_api::services::outbox::emit(
        &txn,
        rapport_api::domain::event::EventPayload::ModelActivated(ghost),
    )
    .await
    .unwrap();
    txn.rollback().await.unwrap();
    // A refused creation (duplicate external id) sends nothing either.
    app.create(
        "/customers",
        &json!({"name": "Ada", "external_id": "ext-1"}),
    )
    .await;
    expect_problem(
        app.post(
            "/customers",
            &json!({"name": "Eve", "external_id": "ext-1"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    inbox.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let names: Vec<Value> = inbox
        .hits()
        .iter()
        .map(|h| serde_json::from_str::<Value>(&h.body).unwrap()["data"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("Ada")]);
    assert_eq!(deliveries(&app, &hook).await.len(), 1);
}

crate::on_every_backend!(
    signed_delivery_with_retry,
    ssrf_guard_and_manual_redelivery,
    no_event_for_a_rolled_back_transaction,
);
