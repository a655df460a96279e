//! Writes that meet each other: a retry after its references changed, an
//! item deleted while an interaction on it is being recorded, a batch
//! refused while it is still being read, and deletes of a stale version.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, FAST, expect_problem, expect_status, receiver, spawn_app, spawn_app_with,
};

/// The key is claimed before the references are checked: a retry gets the
/// first response even after the customer it names was deleted.
async fn a_retry_replays_after_its_references_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.customer("Ada").await;
    let single = json!({"customer_id": customer, "kind": "call", "note": "first call"});
    let batch = json!({"interactions": [{"customer_id": customer, "kind": "email"}]});
    let first = app
        .post_once(&app.token, "/interactions", "call-1", &single)
        .await;
    let first = expect_status(first, 201).await;
    let first_batch = app
        .post_once(&app.token, "/interactions/batch", "batch-1", &batch)
        .await;
    let first_batch = expect_status(first_batch, 201).await;

    app.delete_customer(&customer).await;
    let again = app
        .post_once(&app.token, "/interactions", "call-1", &single)
        .await;
    assert_eq!(again.headers()["Idempotent-Replayed"], "true");
    assert_eq!(expect_status(again, 201).await["id"], first["id"]);
    let again = app
        .post_once(&app.token, "/interactions/batch", "batch-1", &batch)
        .await;
    assert_eq!(expect_status(again, 201).await["ids"], first_batch["ids"]);

    // A new key is checked against today's data.
    let fresh = app
        .post_once(&app.token, "/interactions", "call-2", &single)
        .await;
    let problem = expect_problem(fresh, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "customer_id");
}

/// Deleting an item while an interaction on it is being recorded: either the
/// interaction is refused and the item is gone, or the interaction keeps its
/// item and the delete is refused; never an interaction that lost its item.
async fn an_item_delete_never_orphans_a_concurrent_interaction(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.customer("Bo").await;
    for round in 0..6 {
        let item = app.item(&format!("RACE-{round}"), "Racy").await;
        let view = json!({"customer_id": customer, "item_id": item, "kind": "view"});
        let path = format!("/items/{item}");
        let (recorded, deleted) = tokio::join!(app.post("/interactions", &view), app.delete(&path));
        let (recorded, deleted) = (recorded.status().as_u16(), deleted.status().as_u16());
        let item_left = app.get(&format!("/items/{item}")).await.status().as_u16();
        let on_item = app.count(&format!("/interactions?item_id={item}")).await;
        match (recorded, deleted) {
            (201, 409) => assert_eq!((item_left, on_item), (200, 1), "round {round}"),
            (409 | 422, 204) => assert_eq!((item_left, on_item), (404, 0), "round {round}"),
            other => panic!("round {round}: recorded and deleted {other:?}"),
        }
    }
    let orphans = app
        .list_all(&format!("/interactions?customer_id={customer}"))
        .await
        .into_iter()
        .filter(|row| row["item_id"].is_null())
        .count();
    assert_eq!(orphans, 0, "no interaction lost its item");
}

/// A batch is refused as soon as its array passes 10,000 rows: what follows
/// is not even parsed (here, broken JSON that would otherwise be a 400).
async fn an_oversize_batch_is_refused_while_it_is_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.customer("Cy").await;
    let row = json!({"customer_id": customer, "kind": "view"}).to_string();
    let mut body = String::from("{\"interactions\": [");
    for _ in 0..10_001 {
        body.push_str(&row);
        body.push(',');
    }
    body.push_str("this is not JSON");
    let response = app
        .post_raw("/interactions/batch", "application/json", body.into_bytes())
        .await;
    let problem: Value = expect_problem(response, 422, "validation_failed").await;
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("at most 10000 rows"), "{problem}");
    assert_eq!(app.count("/interactions").await, 0);
}

/// Deleting a webhook or an automation honours `If-Match` like every
/// other write: a stale version gets 412 and deletes nothing.
async fn stale_deletes_of_webhooks_and_automations_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    app.define_demo_workflows().await;
    let inbox = receiver(0).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.created"])).await;
    let rule = app
        .create_automation(
            json!({"name": "Ticket", "when": {"type": "interaction", "kind": "support_ticket"},
                                  "then": {"workflow_key": "churn-save"}}),
        )
        .await;
    for (path, body) in [("/webhooks", &hook), ("/automations", &rule)] {
        let one = format!("{path}/{}", body["id"].as_str().unwrap());
        let stale = app.send_if_match(Method::DELETE, &one, "\"7\"", None).await;
        expect_problem(stale, 412, "precondition_failed").await;
        assert_eq!(app.get(&one).await.status(), 200, "{one} is still there");
        let version = format!("\"{}\"", body["version"]);
        let deleted = app
            .send_if_match(Method::DELETE, &one, &version, None)
            .await;
        assert_eq!(deleted.status(), 204);
        assert_eq!(app.get(&one).await.status(), 404);
    }
}

crate::on_every_backend!(
    stale_deletes_of_webhooks_and_automations_are_refused,
    a_retry_replays_after_its_references_changed,
    an_item_delete_never_orphans_a_concurrent_interaction,
    an_oversize_batch_is_refused_while_it_is_read,
);
