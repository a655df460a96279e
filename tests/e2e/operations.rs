//! Health, readiness, metrics, request ids, docs and the checked-in OpenAPI document.

use serde_json::Value;

use crate::helpers::{Backend, expect_status, spawn_app};

async fn health_readiness_metrics_and_request_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    let health: Value = expect_status(
        app.client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(health["status"], "ok");
    let ready: Value = expect_status(
        app.client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap(),
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
        .get(format!("{}/metrics", app.base))
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
    let docs = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger-ui"));
    let doc: Value = expect_status(
        app.client
            .get(format!("{}/openapi.json", app.base))
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
