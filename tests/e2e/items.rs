//! Items: CRUD, upsert by SKU, validation, filters.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, expect_problem, expect_status, spawn_app};

async fn crud_upsert_and_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create(
            "/items",
            &json!({"sku": "TEA-1", "name": "Green tea", "category": "tea", "tags": ["organic"],
                    "description": "Sencha from Shizuoka", "price": 4.5}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["active"], true);
    app.create(
        "/items",
        &json!({"sku": "MUG-1", "name": "Mug", "category": "kitchen", "price": 12.0}),
    )
    .await;

    // Upsert by SKU replaces, no duplicate.
    let replaced = expect_status(
        app.request(Method::PUT, "/items/by-sku/TEA-1")
            .json(&json!({"sku": "TEA-1", "name": "Green tea (100 g)", "category": "tea", "price": 5.0}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(replaced["id"], id);
    assert_eq!(replaced["version"], 2);
    let created_by_put = expect_status(
        app.request(Method::PUT, "/items/by-sku/POT-1")
            .json(&json!({"sku": "POT-1", "name": "Teapot", "category": "kitchen", "price": 30}))
            .send()
            .await
            .unwrap(),
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
    let patched = expect_status(
        app.patch(&format!("/items/{id}"), &json!({"active": false}))
            .await,
        200,
    )
    .await;
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

    let response = app
        .request(Method::DELETE, &format!("/items/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    expect_problem(app.get(&format!("/items/{id}")).await, 404, "not_found").await;
}

crate::on_every_backend!(crud_upsert_and_filters);
