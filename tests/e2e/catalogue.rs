//! Items and interactions: item CRUD, upsert by SKU, validation and filters;
//! single interactions, batches all-or-nothing, the timeline, filters and
//! weights.

use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, expect_problem, expect_status, id_of, spawn_app, spawn_app_with,
};

async fn crud_upsert_and_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create_item(
            json!({"sku": "TEA-1", "name": "Green tea", "category": "tea", "tags": ["organic"],
                   "description": "Sencha from Shizuoka", "price": 4.5}),
        )
        .await;
    let id = id_of(&created);
    assert_eq!(created["active"], true);
    app.create_item(json!({"sku": "MUG-1", "name": "Mug", "category": "kitchen", "price": 12.0}))
        .await;

    // Upsert by SKU replaces, no duplicate.
    let replaced = expect_status(
        app.put(
            "/items/by-sku/TEA-1",
            &json!({"sku": "TEA-1", "name": "Green tea (100 g)", "category": "tea", "price": 5.0}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(replaced["id"], id.as_str());
    assert_eq!(replaced["version"], 2);
    let created_by_put = expect_status(
        app.put(
            "/items/by-sku/POT-1",
            &json!({"sku": "POT-1", "name": "Teapot", "category": "kitchen", "price": 30}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created_by_put["sku"], "POT-1");
    assert_eq!(app.count("/items").await, 3);

    assert_eq!(app.count("/items?category=kitchen").await, 2);
    assert_eq!(
        app.count("/items?q=SENCHA").await,
        0,
        "description replaced by the upsert"
    );
    assert_eq!(app.count("/items?q=tea").await, 2);
    let by_price = app.list_all("/items?sort=-price").await;
    assert_eq!(by_price[0]["sku"], "POT-1");

    // Deactivate, then filter.
    let patched = app.deactivate_item(&id).await;
    assert_eq!(patched["active"], false);
    assert_eq!(app.count("/items?active=true").await, 2);

    // Validation and uniqueness.
    let problem = expect_problem(
        app.post("/items", &json!({"sku": "BAD", "name": "Bad", "price": -1}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "price");
    expect_problem(
        app.post("/items", &json!({"sku": "MUG-1", "name": "Mug again"}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(app.count("/items").await, 3);

    app.delete_item(&id).await;
    expect_problem(app.get(&format!("/items/{id}")).await, 404, "not_found").await;
}

crate::on_every_backend!(crud_upsert_and_filters);

/// A customer `c-1` and an item `SKU-1`; returns their ids.
async fn seed(app: &TestApp) -> (String, String) {
    let customer = app
        .create_customer(json!({"name": "Ada", "external_id": "c-1"}))
        .await;
    let item = app
        .create_item(json!({"sku": "SKU-1", "name": "Book", "price": 10}))
        .await;
    (id_of(&customer), id_of(&item))
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
    app.record_interaction(
        json!({"customer_id": customer, "item_id": item, "kind": "rating", "rating": 5,
               "occurred_at": "2026-03-01T10:00:00Z"}),
    )
    .await;
    app.record_interaction(
        json!({"customer_id": customer, "kind": "call", "note": "asked about renewal",
               "occurred_at": "2026-02-01T10:00:00Z"}),
    )
    .await;

    let timeline = app.timeline(&customer).await;
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["rating", "call", "purchase"], "newest first");
    let page = app
        .fetch(&format!("/customers/{customer}/interactions?limit=2"))
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

    let weights = app.fetch("/interaction-weights").await;
    assert_eq!(weights["weights"]["purchase"], 8.0, "configured");
    assert_eq!(weights["weights"]["view"], 1.0, "default");
    assert_eq!(
        weights["weights"].as_object().unwrap().len(),
        12,
        "every kind"
    );
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
    let created = app.record_interactions(&rows).await;
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
