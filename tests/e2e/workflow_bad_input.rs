//! Bad input on the workflow, automation and webhook routes: clear 4xx
//! problems, never a 500, and nothing changed.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, expect_problem, spawn_app};
use crate::workflows::{define_demo, instance, start};

async fn bad_input_on_workflow_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let started = start(&app, "churn-save").await;
    let id = started["id"].as_str().unwrap();
    let unknown = "0190f2a4-0000-7000-8000-000000000000";

    for (path, status, code) in [
        ("/workflow-instances?limit=0", 422, "validation_failed"),
        ("/workflow-instances?limit=100000", 422, "validation_failed"),
        ("/workflow-instances?limit=-5", 422, "validation_failed"),
        ("/workflow-instances?cursor=garbage", 400, "invalid_cursor"),
        ("/workflow-instances?sort=secret", 422, "validation_failed"),
        ("/workflow-instances?overdue=maybe", 400, "invalid_query"),
        ("/workflow-instances?customer_id=42", 400, "invalid_query"),
        ("/workflow-instances/not-a-uuid", 404, "not_found"),
        ("/workflows?cursor=e30", 400, "invalid_cursor"),
        ("/workflows/churn-save/versions/x", 404, "not_found"),
        ("/workflows/churn-save/versions/99", 404, "not_found"),
        ("/automations/not-a-uuid/runs", 404, "not_found"),
        ("/webhooks?limit=501", 422, "validation_failed"),
        ("/webhooks/not-a-uuid/deliveries", 404, "not_found"),
    ] {
        expect_problem(app.get(path).await, status, code).await;
    }
    expect_problem(
        app.get(&format!("/webhooks/{unknown}/deliveries")).await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.get(&format!("/automations/{unknown}/runs")).await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.get(&format!("/workflow-instances/{unknown}/events"))
            .await,
        404,
        "not_found",
    )
    .await;

    let transitions = format!("/workflow-instances/{id}/transitions");
    let raw = |path: &str, body: &'static str| {
        app.request(Method::POST, path)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    expect_problem(
        raw(&transitions, "{\"to\": ").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    expect_problem(
        raw("/workflows", "[1, 2]").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.post(
            &transitions,
            &json!({"to": "saved", "expected_version": 99999999999i64}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.post(
            &format!("/workflow-instances/{id}/comments"),
            &json!({"comment": "x".repeat(10_001)}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let put = app
        .request(Method::PUT, "/workflows/churn-save")
        .header("if-match", "yesterday")
        .json(&serde_json::to_value(rapport_api::workflows::demo::churn_save()).unwrap())
        .send()
        .await
        .unwrap();
    expect_problem(put, 400, "invalid_header").await;
    let mut too_long = serde_json::to_value(rapport_api::workflows::demo::churn_save()).unwrap();
    too_long["steps"][0]["sla_hours"] = json!(-1);
    too_long["steps"][1]["department"] = json!("");
    let problem = expect_problem(
        app.request(Method::PUT, "/workflows/churn-save")
            .json(&too_long)
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    expect_problem(
        app.post(
            "/automations",
            &json!({"name": "x", "when": {"type": "interaction", "kind": "rating",
            "max_rating": 99999}, "then": {"workflow_key": "churn-save"}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.post(
            "/webhooks",
            &json!({"url": "https://x.example/".repeat(200), "events": []}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;

    let unchanged = instance(&app, id).await;
    assert_eq!(unchanged["version"], 1);
    assert_eq!(
        app.count(&format!("/workflow-instances/{id}/events")).await,
        1
    );
    let latest = crate::helpers::expect_status(app.get("/workflows/churn-save").await, 200).await;
    assert_eq!(latest["version"], 1);
    assert_eq!(app.count("/automations").await, 0);
    assert_eq!(app.count("/webhooks").await, 0);
}

crate::on_every_backend!(bad_input_on_workflow_routes);
