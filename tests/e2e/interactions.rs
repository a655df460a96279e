//! Interactions: single, batch all-or-nothing, timeline, filters, weights.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_problem, expect_status, spawn_app, spawn_app_with};

async fn seed(app: &TestApp) -> (String, String) {
    let customer = app
        .create("/customers", &json!({"name": "Ada", "external_id": "c-1"}))
        .await;
    let item = app
        .create(
            "/items",
            &json!({"sku": "SKU-1", "name": "Book", "price": 10}),
        )
        .await;
    (
        customer["id"].as_str().unwrap().to_owned(),
        item["id"].as_str().unwrap().to_owned(),
    )
}

async fn single_interactions_and_timeline(backend: Backend) {
    let app = spawn_app_with(backend, &["--interaction-weights", "purchase=8"]).await;
    let (customer, item) = seed(&app).await;
    let response = app
        .post(
            "/interactions",
            &json!({"customer_external_id": "c-1", "item_sku": "SKU-1", "kind": "purchase",
                    "value": 10.0, "occurred_at": "2026-01-02T10:00:00Z"}),
        )
        .await;
    assert!(response.headers().contains_key("location"));
    let first = expect_status(response, 201).await;
    assert_eq!(first["customer_id"], customer.as_str());
    assert_eq!(first["item_id"], item.as_str());
    app.create(
        "/interactions",
        &json!({"customer_id": customer, "item_id": item, "kind": "rating", "rating": 5,
                "occurred_at": "2026-03-01T10:00:00Z"}),
    )
    .await;
    app.create(
        "/interactions",
        &json!({"customer_id": customer, "kind": "call", "note": "asked about renewal",
                "occurred_at": "2026-02-01T10:00:00Z"}),
    )
    .await;

    let timeline = app
        .list_all(&format!("/customers/{customer}/interactions"))
        .await;
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["rating", "call", "purchase"], "newest first");
    let page: Value = expect_status(
        app.get(&format!("/customers/{customer}/interactions?limit=2"))
            .await,
        200,
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert!(page["next_cursor"].is_string());

    assert_eq!(app.count("/interactions?kind=purchase").await, 1);
    assert_eq!(app.count(&format!("/interactions?item_id={item}")).await, 2);
    assert_eq!(
        app.count("/interactions?occurred_after=2026-01-15T00:00:00Z")
            .await,
        2
    );
    assert_eq!(
        app.count("/interactions?occurred_before=2026-01-15T00:00:00Z")
            .await,
        1
    );

    // Bad rows are refused with field errors.
    let problem = expect_problem(
        app.post(
            "/interactions",
            &json!({"customer_id": customer, "kind": "rating", "rating": 9}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "rating");
    let problem = expect_problem(
        app.post(
            "/interactions",
            &json!({"customer_external_id": "nobody", "kind": "view"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "customer_id");
    assert_eq!(app.count("/interactions").await, 3);

    let weights: Value = expect_status(app.get("/interaction-weights").await, 200).await;
    assert_eq!(weights["weights"]["purchase"], 8.0, "configured");
    assert_eq!(weights["weights"]["view"], 1.0, "default");
    assert_eq!(weights["weights"].as_object().unwrap().len(), 11);
}

fn row(i: usize) -> Value {
    json!({"customer_external_id": "c-1", "item_sku": "SKU-1", "kind": "view",
           "occurred_at": format!("2026-01-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60)})
}

async fn batch_is_all_or_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let mut rows: Vec<Value> = (0..10_000).map(row).collect();
    rows[9_999] = json!({"customer_external_id": "c-1", "kind": "teleport"});
    let problem = expect_problem(
        app.post("/interactions/batch", &json!({"interactions": rows}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1);
    assert_eq!(problem["errors"][0]["index"], 9_999);
    assert_eq!(app.count("/interactions").await, 0);

    // An unknown reference in the last row also writes nothing.
    rows[9_999] = json!({"customer_external_id": "c-404", "kind": "view"});
    let problem = expect_problem(
        app.post("/interactions/batch", &json!({"interactions": rows}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["index"], 9_999);
    assert_eq!(problem["errors"][0]["field"], "customer_id");
    assert_eq!(app.count("/interactions").await, 0);

    rows[9_999] = row(9_999);
    let created = expect_status(
        app.post("/interactions/batch", &json!({"interactions": rows}))
            .await,
        201,
    )
    .await;
    assert_eq!(created["created"], 10_000);
    assert_eq!(created["ids"].as_array().unwrap().len(), 10_000);
    assert_eq!(app.count("/interactions").await, 10_000);

    // Limits.
    let too_many: Vec<Value> = (0..10_001).map(row).collect();
    expect_problem(
        app.post("/interactions/batch", &json!({"interactions": too_many}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.post("/interactions/batch", &json!({"interactions": []}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("/interactions").await, 10_000);
}

crate::on_every_backend!(single_interactions_and_timeline, batch_is_all_or_nothing);
