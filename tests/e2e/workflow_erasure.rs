//! Erasing a customer (GDPR) also scrubs what workflows and webhooks hold
//! about them: comments on their instances, and the outbox.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, expect_status, spawn_app_with};
use crate::webhooks::{deliveries, receiver, subscribe};
use crate::workflows::define_demo;

async fn erasure_scrubs_comments_and_pending_deliveries(backend: Backend) {
    let flags = [
        "--webhook-allow-private",
        "--webhook-poll-ms",
        "100",
        "--webhook-retry-base-ms",
        "600000",
    ];
    let app = spawn_app_with(backend, &flags).await;
    define_demo(&app).await;
    let inbox = receiver(usize::MAX).await;
    let hook = subscribe(
        &app,
        &inbox.url,
        json!(["customer.created", "workflow.started"]),
    )
    .await;
    let target = app
        .create(
            "/customers",
            &json!({"name": "Ada Lovelace", "email": "ada@example.com"}),
        )
        .await;
    let id = target["id"].as_str().unwrap();
    let started = app
        .create(
            "/workflow-instances",
            &json!({"workflow_key": "churn-save", "customer_id": id,
            "note": "Ada called from 555-0100"}),
        )
        .await;
    inbox.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = deliveries(&app, &hook).await;
    assert!(log.iter().all(|d| d["status"] == "pending"), "{log:?}");

    let response = app
        .request(Method::DELETE, &format!("/customers/{id}?erase=true"))
        .send()
        .await
        .unwrap();
    expect_status(response, 204).await;
    let log = deliveries(&app, &hook).await;
    assert_eq!(log.len(), 2);
    for delivery in &log {
        assert_eq!(delivery["status"], "failed");
        assert!(delivery["last_error"].as_str().unwrap().contains("erased"));
    }
    let events = app
        .list_all(&format!(
            "/workflow-instances/{}/events",
            started["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(events[0]["kind"], "started");
    assert!(events[0]["comment"].is_null(), "{events:?}");
}

crate::on_every_backend!(erasure_scrubs_comments_and_pending_deliveries);
