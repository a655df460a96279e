//! The service's operations endpoints and its published contract: health,
//! readiness, metrics, request ids, docs, the checked-in OpenAPI document,
//! and every `ErrorCode` documented there and produced by a test (the codes
//! no other scenario reaches are produced here).

use rapport_api::domain::ErrorCode;
use rapport_api::entities::customer;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, expect_problem, expect_status, id_of, spawn_app, spawn_trained};

async fn health_readiness_metrics_and_request_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = expect_status(
        app.client.get(app.root("/healthz")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(health["status"], "ok");
    let ready = expect_status(
        app.client.get(app.root("/readyz")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(ready["status"], "ready");

    let response = app
        .request(reqwest::Method::GET, "/customers")
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let generated = app.get("/customers").await;
    assert_eq!(generated.headers()["x-request-id"].len(), 36);

    let metrics = app
        .client
        .get(app.root("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("rapport_http_requests_total{method=\"GET\",route=\"/api/v1/customers\",status=\"200\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "rapport_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/customers\""
    ));
}

async fn docs_and_openapi_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let docs = app.client.get(app.root("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger-ui"));
    let doc = expect_status(
        app.client
            .get(app.root("/openapi.json"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(doc["paths"]["/api/v1/customers"]["get"].is_object());
    let security = &doc["paths"]["/api/v1/customers"]["get"]["security"];
    assert_eq!(security[0]["bearer"], serde_json::json!([]));
    assert!(doc["paths"]["/api/v1/customers"]["get"]["responses"]["401"].is_object());
    assert!(doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["401"].is_object());
}

/// The checked-in document must be what the code generates; regenerate with
/// `cargo run -p rapport-api -- openapi --output openapi/openapi.json`.
#[test]
fn checked_in_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).expect("openapi/openapi.json exists");
    let generated = rapport_api::http::openapi::to_json().unwrap();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `cargo run -p rapport-api -- openapi --output openapi/openapi.json`"
    );
}

crate::on_every_backend!(
    health_readiness_metrics_and_request_ids,
    docs_and_openapi_are_served
);

async fn a_deleted_external_id_cannot_be_upserted(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create_customer(json!({"name": "Ada", "external_id": "crm-1"}))
        .await;
    app.delete_customer(&id_of(&created)).await;
    expect_problem(
        app.put(
            "/customers/by-external-id/crm-1",
            &json!({"name": "Ada again"}),
        )
        .await,
        409,
        "deleted",
    )
    .await;
}

async fn an_item_with_interactions_cannot_be_deleted(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let path = format!("/items/{}", trained.catalogue.items[0]);
    expect_problem(app.delete(&path).await, 409, "item_in_use").await;
    app.fetch(&path).await;
}

async fn predictions_refuse_what_the_model_does_not_know(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let newcomer = app.item("NEW-1", "Newcomer").await;
    expect_problem(
        app.get(&format!("/items/{newcomer}/similar?engine=item_item"))
            .await,
        409,
        "item_unknown_to_model",
    )
    .await;

    let customer = &trained.catalogue.customers[1];
    app.update_customer(
        customer,
        json!({"attributes": {"tenure_months": "long", "contract": "yearly", "churn": "No"}}),
    )
    .await;
    let path = format!("/customers/{customer}/scores");
    let problem = expect_problem(app.get(&path).await, 422, "unscorable").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("tenure_months"),
        "{problem}"
    );
}

async fn an_unreadable_stored_value_is_an_internal_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let id: uuid::Uuid = app.customer("Ada").await.parse().unwrap();
    let db = app.db().await;
    customer::Entity::update_many()
        .col_expr(customer::Column::LifecycleStage, Expr::value("vip"))
        .filter(customer::Column::Id.eq(id))
        .exec(&db)
        .await
        .unwrap();
    let problem = expect_problem(
        app.get(&format!("/customers/{id}")).await,
        500,
        "internal_error",
    )
    .await;
    assert!(
        !problem["detail"].as_str().unwrap().contains("vip"),
        "the cause is logged, not shown: {problem}"
    );
    // The listing refuses too, rather than showing the customer as a lead.
    expect_problem(app.get("/customers").await, 500, "internal_error").await;
}

crate::on_every_backend!(
    a_deleted_external_id_cannot_be_upserted,
    an_item_with_interactions_cannot_be_deleted,
    predictions_refuse_what_the_model_does_not_know,
    an_unreadable_stored_value_is_an_internal_error,
);

/// The source of every test: the end-to-end tests and the service's unit tests.
fn test_sources() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut text = String::new();
    let mut pending = vec![root.join("tests/e2e"), root.join("api/src")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                // Unit tests of the service live after `#[cfg(test)]`.
                let tests = if path.starts_with(root.join("api")) {
                    source.split_once("#[cfg(test)]").map_or("", |(_, t)| t)
                } else {
                    source.as_str()
                };
                text.push_str(tests);
            }
        }
    }
    text
}

/// In the style of lemmy's error-type test: a code nobody documents or
/// produces is a defect.
#[test]
fn every_error_code_is_documented_and_produced_by_a_test() {
    let document: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let documented: Vec<&str> = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let tests = test_sources();
    let mut missing = Vec::new();
    for code in ErrorCode::ALL {
        if !documented.contains(&code.as_str()) {
            missing.push(format!("{code}: not in openapi/openapi.json"));
        }
        // An end-to-end test expects it by name, or a unit test by variant.
        let by_name = format!("\"{}\"", code.as_str());
        let by_variant = format!("ErrorCode::{code:?}");
        if !tests.contains(&by_name) && !tests.contains(&by_variant) {
            missing.push(format!("{code}: no test produces it"));
        }
    }
    assert_eq!(documented.len(), ErrorCode::ALL.len(), "{documented:?}");
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
