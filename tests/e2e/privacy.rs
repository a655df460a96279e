//! GDPR and the audit log: erasure (also of what workflows and webhooks hold
//! about a customer), soft delete and restore, export, and the audit trail of
//! mutations with personal data redacted.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    Backend, expect_problem, id_of, receiver, spawn_app, spawn_app_with, strings,
};

async fn erase_removes_personal_data_and_keeps_interactions(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app
        .create_customer(
            json!({"name": "Grace Hopper", "email": "grace@example.com", "phone": "555-0199",
                "company": "Navy", "external_id": "crm-42", "segment": "enterprise",
                "attributes": {"age": 85}}),
        )
        .await;
    let id = id_of(&customer);
    let item = app.item("COBOL", "Compiler").await;
    app.record_interaction(
        json!({"customer_id": id, "item_id": item, "kind": "purchase", "value": 10.0,
            "note": "Grace asked for an invoice"}),
    )
    .await;
    app.update_customer(&id, json!({"phone": "555-0100"})).await;

    app.erase_customer(&id).await;
    expect_problem(app.get(&format!("/customers/{id}")).await, 404, "not_found").await;
    // Erasing twice is harmless; an erased customer cannot be restored.
    app.erase_customer(&id).await;
    expect_problem(
        app.post(&format!("/customers/{id}/restore"), &json!({}))
            .await,
        409,
        "erased",
    )
    .await;

    let export = app.export_customer(&id).await;
    assert!(export["erased_at"].is_string());
    assert_eq!(export["customer"]["name"], "[erased]");
    for field in ["email", "phone", "company", "external_id"] {
        assert_eq!(export["customer"][field], Value::Null, "{field}");
    }
    assert_eq!(
        export["customer"]["attributes"]["age"], 85,
        "features kept for models"
    );
    assert_eq!(export["interactions"].as_array().unwrap().len(), 1);
    assert_eq!(export["interactions"][0]["kind"], "purchase");
    assert_eq!(export["interactions"][0]["note"], Value::Null);
    let text = export.to_string();
    for secret in ["Grace", "grace@", "555-01", "Navy", "crm-42", "invoice"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let audit = export["audit"].as_array().unwrap();
    assert_eq!(
        strings(audit, "action"),
        ["customer.create", "customer.update", "customer.erase"]
    );
    // The interaction still counts for the item, for the models.
    assert_eq!(app.count(&format!("/interactions?item_id={item}")).await, 1);
    // The external id is free again.
    app.create_customer(json!({"name": "New", "external_id": "crm-42"}))
        .await;
}

async fn erasure_scrubs_comments_and_pending_deliveries(backend: Backend) {
    let flags = [
        "--webhook-allow-private",
        "--webhook-poll-ms",
        "100",
        "--webhook-retry-base-ms",
        "600000",
    ];
    let app = spawn_app_with(backend, &flags).await;
    app.define_demo_workflows().await;
    let inbox = receiver(usize::MAX).await;
    let hook = app
        .subscribe(&inbox.url, json!(["customer.created", "workflow.started"]))
        .await;
    let id = id_of(
        &app.create_customer(json!({"name": "Ada Lovelace", "email": "ada@example.com"}))
            .await,
    );
    let started = app
        .create(
            "/workflow-instances",
            &json!({"workflow_key": "churn-save", "customer_id": id,
            "note": "Ada called from 555-0100"}),
        )
        .await;
    let events = app.instance_events(&id_of(&started)).await;
    assert_eq!(events[0]["comment"], "Ada called from 555-0100");
    inbox.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = app.deliveries(&hook).await;
    assert!(log.iter().all(|d| d["status"] == "pending"), "{log:?}");

    app.erase_customer(&id).await;
    let log = app.deliveries(&hook).await;
    assert_eq!(log.len(), 2);
    for delivery in &log {
        assert_eq!(delivery["status"], "failed");
        assert!(delivery["last_error"].as_str().unwrap().contains("erased"));
    }
    let events = app.instance_events(&id_of(&started)).await;
    assert_eq!(events[0]["kind"], "started");
    assert!(events[0]["comment"].is_null(), "{events:?}");
}

async fn soft_delete_is_restorable_by_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.customer("Linus").await;
    app.delete_customer(&id).await;
    assert_eq!(app.count("/customers").await, 0);
    let manager = app.user("manager", None).await;
    // Only an admin sees a soft-deleted customer's export or restores it.
    expect_problem(
        app.get_as(&manager.token, &format!("/customers/{id}/export"))
            .await,
        403,
        "forbidden",
    )
    .await;
    let restored = app.restore_customer(&id).await;
    assert_eq!(restored["name"], "Linus");
    assert_eq!(restored["version"], 3);
    assert_eq!(app.count("/customers").await, 1);
    expect_problem(
        app.post(
            &format!("/customers/{}/restore", uuid::Uuid::now_v7()),
            &json!({}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

/// The export is streamed a page at a time: a history longer than a page
/// comes back whole, in order, as one JSON document.
async fn a_long_history_exports_whole_and_streamed(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.customer("Grace").await;
    let rows: Vec<Value> = (0..1_203)
        .map(|i| {
            json!({"customer_id": id, "kind": "view", "value": i,
                   "occurred_at": format!("2026-01-01T00:{:02}:{:02}Z", i / 60, i % 60)})
        })
        .collect();
    app.record_interactions(&rows).await;
    for name in ["Grace H.", "Grace Hopper"] {
        app.update_customer(&id, json!({"name": name})).await;
    }
    let response = app.get(&format!("/customers/{id}/export")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.content_length(),
        None,
        "sent in chunks, not sized up front"
    );
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["customer"]["name"], "Grace Hopper");
    let values: Vec<i64> = export["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["value"].as_f64().unwrap() as i64)
        .collect();
    // Oldest first: row i happened i seconds after midnight.
    assert_eq!(values, (0..1_203).collect::<Vec<i64>>());
    let actions: Vec<&str> = export["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["customer.create", "customer.update", "customer.update"]
    );
}

async fn audit_log_records_mutations_with_pii_redacted(backend: Backend) {
    let app = spawn_app(backend).await;
    let start = chrono::Utc::now();
    let id = id_of(
        &app.create_customer(json!({"name": "Alan Turing", "email": "alan@example.com"}))
            .await,
    );
    app.update_customer(
        &id,
        json!({"email": "turing@example.com", "segment": "research"}),
    )
    .await;
    let item = app.item("ENIGMA", "Bombe").await;
    app.update_item(&item, json!({"price": 12.5})).await;
    app.record_interactions(&[
        json!({"customer_id": id, "kind": "view"}),
        json!({"customer_id": id, "kind": "click"}),
    ])
    .await;

    let entries = app
        .audit(&format!("resource_type=customer&resource_id={id}"))
        .await;
    assert_eq!(entries.len(), 2);
    let update = &entries[0];
    assert_eq!(update["action"], "customer.update");
    assert!(update["request_id"].is_string());
    assert_eq!(
        update["changes"],
        json!({"email": {"from": "[redacted]", "to": "[redacted]"},
               "segment": {"from": null, "to": "research"}})
    );
    let create = &entries[1];
    assert_eq!(create["changes"]["name"]["to"], "[redacted]");
    assert!(!Value::Array(entries.clone()).to_string().contains("alan@"));

    let actor = format!("user:{}", app.admin_id().await);
    let since = start.to_rfc3339().replace('+', "%2B");
    let mine = app.audit(&format!("actor={actor}&since={since}")).await;
    assert_eq!(
        strings(&mine, "action"),
        [
            "interaction.create_batch",
            "item.update",
            "item.create",
            "customer.update",
            "customer.create"
        ]
    );
    let item_update = &mine[1];
    assert_eq!(
        item_update["changes"],
        json!({"price": {"from": 0.0, "to": 12.5}})
    );
    let page = app.fetch("/audit-log?action=item.create&limit=1").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let before: Vec<String> = app
        .audit(&format!("until={since}"))
        .await
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        before,
        [
            format!("{actor} auth.login"),
            "system user.create".to_owned()
        ]
    );
    expect_problem(
        app.get("/audit-log?since=yesterday").await,
        400,
        "invalid_query",
    )
    .await;
}

crate::on_every_backend!(
    erase_removes_personal_data_and_keeps_interactions,
    erasure_scrubs_comments_and_pending_deliveries,
    soft_delete_is_restorable_by_admin,
    a_long_history_exports_whole_and_streamed,
    audit_log_records_mutations_with_pii_redacted,
);
