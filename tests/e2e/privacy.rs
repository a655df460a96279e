//! GDPR and the audit log: erasure, soft delete and restore, export, and the
//! audit trail of mutations with personal data redacted.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, expect_problem, expect_status, spawn_app};

async fn erase_removes_personal_data_and_keeps_interactions(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app
        .create(
            "/customers",
            &json!({"name": "Grace Hopper", "email": "grace@example.com", "phone": "555-0199",
                "company": "Navy", "external_id": "crm-42", "segment": "enterprise",
                "attributes": {"age": 85}}),
        )
        .await;
    let id = customer["id"].as_str().unwrap().to_owned();
    let item = app
        .create("/items", &json!({"sku": "COBOL", "name": "Compiler"}))
        .await;
    app.create(
        "/interactions",
        &json!({"customer_id": id, "item_id": item["id"], "kind": "purchase", "value": 10.0,
            "note": "Grace asked for an invoice"}),
    )
    .await;
    app.patch(&format!("/customers/{id}"), &json!({"phone": "555-0100"}))
        .await;

    let response = app
        .request(Method::DELETE, &format!("/customers/{id}?erase=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    expect_problem(app.get(&format!("/customers/{id}")).await, 404, "not_found").await;
    // Erasing twice is harmless; an erased customer cannot be restored.
    let response = app
        .request(Method::DELETE, &format!("/customers/{id}?erase=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    expect_problem(
        app.post(&format!("/customers/{id}/restore"), &json!({}))
            .await,
        409,
        "erased",
    )
    .await;

    let export = expect_status(app.get(&format!("/customers/{id}/export")).await, 200).await;
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
    let actions: Vec<&str> = export["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["customer.create", "customer.update", "customer.erase"]
    );
    // The interaction still counts for the item, for the models.
    let path = format!("/interactions?item_id={}", item["id"].as_str().unwrap());
    assert_eq!(app.count(&path).await, 1);
    // The external id is free again.
    app.create(
        "/customers",
        &json!({"name": "New", "external_id": "crm-42"}),
    )
    .await;
}

async fn soft_delete_is_restorable_by_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.create("/customers", &json!({"name": "Linus"})).await;
    let id = customer["id"].as_str().unwrap();
    let response = app
        .request(Method::DELETE, &format!("/customers/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.count("/customers").await, 0);
    let (_, manager) = app.user("manager", None).await;
    // Only an admin sees a soft-deleted customer's export or restores it.
    expect_problem(
        app.request_as(&manager, Method::GET, &format!("/customers/{id}/export"))
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let restored = expect_status(
        app.post(&format!("/customers/{id}/restore"), &json!({}))
            .await,
        200,
    )
    .await;
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

async fn audit_log_records_mutations_with_pii_redacted(backend: Backend) {
    let app = spawn_app(backend).await;
    let start = chrono::Utc::now();
    let customer = app
        .create(
            "/customers",
            &json!({"name": "Alan Turing", "email": "alan@example.com"}),
        )
        .await;
    let id = customer["id"].as_str().unwrap();
    app.patch(
        &format!("/customers/{id}"),
        &json!({"email": "turing@example.com", "segment": "research"}),
    )
    .await;
    let item = app
        .create("/items", &json!({"sku": "ENIGMA", "name": "Bombe"}))
        .await;
    app.patch(
        &format!("/items/{}", item["id"].as_str().unwrap()),
        &json!({"price": 12.5}),
    )
    .await;
    app.post(
        "/interactions/batch",
        &json!({"interactions": [{"customer_id": id, "kind": "view"}, {"customer_id": id, "kind": "click"}]}),
    )
    .await;

    let entries = app
        .list_all(&format!(
            "/audit-log?resource_type=customer&resource_id={id}"
        ))
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

    let me = expect_status(app.get("/me").await, 200).await;
    let actor = format!("user:{}", me["id"].as_str().unwrap());
    let mine = app
        .list_all(&format!(
            "/audit-log?actor={actor}&since={}",
            start.to_rfc3339().replace('+', "%2B")
        ))
        .await;
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
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
    let page = expect_status(app.get("/audit-log?action=item.create&limit=1").await, 200).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let before: Vec<String> = app
        .list_all(&format!(
            "/audit-log?until={}",
            start.to_rfc3339().replace('+', "%2B")
        ))
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
    soft_delete_is_restorable_by_admin,
    audit_log_records_mutations_with_pii_redacted,
);
