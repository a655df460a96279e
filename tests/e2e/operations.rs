//! Operations endpoints and bounds on work: `/metrics` series stay bounded
//! and may need a token; interaction values are bounded.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    Backend, error_fields, expect_problem, expect_status, spawn_app, spawn_app_with,
};

async fn metrics(app: &crate::helpers::TestApp, token: Option<&str>) -> reqwest::Response {
    let request = app.client.get(app.root("/metrics"));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.expect("metrics request")
}

async fn made_up_methods_leave_the_method_labels_bounded(backend: Backend) {
    let app = spawn_app(backend).await;
    for n in 0..50 {
        let method = Method::from_bytes(format!("FOO{n}").as_bytes()).unwrap();
        app.anonymous(method, "/customers").send().await.unwrap();
    }
    let text = metrics(&app, None).await.text().await.unwrap();
    let mut methods: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("rapport_http_requests_total{"))
        .filter_map(|l| l.split("method=\"").nth(1)?.split('"').next())
        .collect();
    methods.sort();
    methods.dedup();
    assert!(methods.contains(&"OTHER"), "{methods:?}");
    assert!(methods.len() <= 10, "{methods:?}");
    assert!(!text.contains("FOO"));
}

async fn metrics_can_require_a_token(backend: Backend) {
    let app = spawn_app_with(backend, &["--metrics-token", "scrape-token-0123456789"]).await;
    expect_problem(metrics(&app, None).await, 401, "unauthorized").await;
    expect_problem(
        metrics(&app, Some("scrape-token-wrong")).await,
        401,
        "unauthorized",
    )
    .await;
    let response = metrics(&app, Some("scrape-token-0123456789")).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("rapport_http_requests_total")
    );
}

async fn interaction_values_are_bounded(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.customer("Big spender").await;
    let before = app.count("/interactions").await;
    for value in [1.7e308, -1e13, 1e12 + 1.0] {
        let problem = expect_problem(
            app.post(
                "/interactions",
                &json!({"customer_id": customer, "kind": "purchase", "value": value}),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), ["value"], "{value}");
    }
    assert_eq!(app.count("/interactions").await, before);
    expect_status(
        app.post(
            "/interactions",
            &json!({"customer_id": customer, "kind": "purchase", "value": 1e12}),
        )
        .await,
        201,
    )
    .await;
}

crate::on_every_backend!(
    made_up_methods_leave_the_method_labels_bounded,
    metrics_can_require_a_token,
    interaction_values_are_bounded,
);
