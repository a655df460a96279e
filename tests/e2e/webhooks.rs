//! Webhooks: SSRF guard, secret shown once, Standard Webhooks signatures
//! checked by a real receiver, retry with the same `webhook-id`, the delivery
//! log, manual redelivery, and nothing sent for a rolled-back transaction.

use std::time::Duration;

use sea_orm::TransactionTrait;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, FAST, SLOW_FAILURE, expect_problem, expect_status, id_of, receiver, spawn_app,
    spawn_app_with, verify,
};

async fn the_secret_is_shown_once_and_never_audited(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let hook = app
        .subscribe("http://127.0.0.1:9/hook", json!(["customer.created"]))
        .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let shown = app.fetch(&format!("/webhooks/{}", id_of(&hook))).await;
    assert_eq!(shown["id"], hook["id"]);
    assert!(shown.get("secret").is_none(), "the secret is shown once");
    let listed = app.list_all("/webhooks").await;
    assert!(listed[0].get("secret").is_none(), "{listed:?}");
    let audited = app.audit("action=webhook.create").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["resource_id"], hook["id"]);
    assert!(
        !audited[0].to_string().contains(&secret),
        "the audit log never holds the secret"
    );
}

async fn deliveries_are_signed_and_retried_with_one_id(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let inbox = receiver(2).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.created"])).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    app.create_customer(json!({"name": "Ada", "email": "ada@example.com"}))
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
    let body = hits[2].json();
    assert_eq!(body["type"], "customer.created");
    assert_eq!(body["version"], 1, "the payload's contract version");
    assert_eq!(body["id"], ids[0]);
    assert_eq!(body["data"]["name"], "Ada");

    let log = app.wait_for_delivery(&hook, "succeeded").await;
    assert_eq!(log.len(), 1);
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
}

async fn only_subscribed_events_are_sent(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let inbox = receiver(0).await;
    let hook = app
        .subscribe(
            &inbox.url,
            json!(["customer.created", "workflow.transitioned"]),
        )
        .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    // Interactions are not subscribed; workflow transitions are.
    app.define_demo_workflows().await;
    let started = app.start_workflow("churn-save").await;
    app.record_interaction(json!({"customer_id": started["customer_id"], "kind": "call"}))
        .await;
    app.transition(&id_of(&started), "retention_offer", &json!(1))
        .await;
    inbox.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hits = inbox.hits();
    let bodies: Vec<Value> = hits.iter().map(|h| h.json()).collect();
    let mut types: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
    types.sort();
    assert_eq!(
        types,
        ["customer.created", "workflow.transitioned"],
        "no interaction.created, no workflow.started"
    );
    let moved = bodies
        .iter()
        .find(|b| b["type"] == "workflow.transitioned")
        .unwrap();
    assert_eq!(moved["data"]["event"]["to_step"], "retention_offer");
    assert_eq!(moved["data"]["instance"]["current_step"], "retention_offer");
    for hit in &hits {
        verify(&secret, hit);
    }
}

async fn internal_urls_and_unknown_events_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.user("manager", None).await;
    let sales = app.user("sales", Some("sales")).await;
    let good = json!({"url": "https://hooks.example.com/x", "events": ["customer.created"]});
    expect_problem(
        app.post_as(&sales.token, "/webhooks", &good).await,
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
        let body = json!({"url": url, "events": ["customer.created"]});
        let problem = expect_problem(
            app.post_as(&manager.token, "/webhooks", &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}");
    }
    let unknown = json!({"url": "https://hooks.example.com/x",
                         "events": ["customer.deleted_everything"]});
    let problem = expect_problem(
        app.post("/webhooks", &unknown).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "events[0]");
    assert_eq!(app.count("/webhooks").await, 0);
}

async fn exhausted_deliveries_can_be_redelivered_by_hand(backend: Backend) {
    let flags = [&FAST[..], &["--webhook-max-attempts", "2"]].concat();
    let app = spawn_app_with(backend, &flags).await;
    let inbox = receiver(usize::MAX).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.created"])).await;
    app.customer("Ada").await;
    inbox.wait_for(2).await;
    let log = app.wait_for_delivery(&hook, "failed").await;
    assert_eq!(log[0]["attempts"], 2);
    assert_eq!(log[0]["last_status_code"], 500);
    assert_eq!(inbox.hits().len(), 2);

    inbox.recover();
    let hook_id = id_of(&hook);
    let redeliver = |delivery: &str| format!("/webhooks/{hook_id}/deliveries/{delivery}/redeliver");
    let again = expect_status(
        app.post(&redeliver(log[0]["id"].as_str().unwrap()), &json!({}))
            .await,
        202,
    )
    .await;
    assert_eq!(again["status"], "pending");
    let hits = inbox.wait_for(3).await;
    assert_eq!(hits[2].headers["webhook-id"], hits[0].headers["webhook-id"]);
    let log = app.wait_for_delivery(&hook, "succeeded").await;
    assert_eq!(log[0]["log"].as_array().unwrap().len(), 3);
    expect_problem(
        app.post(
            &redeliver("0190f2a4-0000-7000-8000-000000000000"),
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
    let hook = app
        .subscribe(&inbox.url, json!(["customer.created", "model.activated"]))
        .await;
    let db = app.db().await;
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
    app.create_customer(json!({"name": "Ada", "external_id": "ext-1"}))
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
        .map(|h| h.json()["data"]["name"].clone())
        .collect();
    assert_eq!(names, [json!("Ada")]);
    assert_eq!(app.deliveries(&hook).await.len(), 1);
}

crate::on_every_backend!(
    the_secret_is_shown_once_and_never_audited,
    deliveries_are_signed_and_retried_with_one_id,
    only_subscribed_events_are_sent,
    internal_urls_and_unknown_events_are_refused,
    exhausted_deliveries_can_be_redelivered_by_hand,
    no_event_for_a_rolled_back_transaction,
);
