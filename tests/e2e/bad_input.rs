//! DESIGN.md §8: bad input gets a clear problem and changes nothing, on the
//! customer routes, the credentials, and the workflow, automation and
//! webhook routes (never a 500).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    Backend, TestApp, demo_definition, error_fields, expect_problem, id_of, spawn_app,
    spawn_app_with,
};

async fn customer_count(app: &TestApp) -> usize {
    app.count("/customers").await
}

async fn malformed_bodies(backend: Backend) {
    let app = spawn_app(backend).await;
    app.customer("Existing").await;
    for (body, content_type, status, code) in [
        (
            b"{\"name\": ".to_vec(),
            "application/json",
            400,
            "malformed_json",
        ),
        (
            vec![0xff, 0xfe, 0x00],
            "application/json",
            400,
            "malformed_json",
        ),
        (
            b"{\"name\": \"x\"}".to_vec(),
            "text/plain",
            415,
            "unsupported_media_type",
        ),
    ] {
        let response = app.post_raw("/customers", content_type, body).await;
        expect_problem(response, status, code).await;
    }
    // Wrong types and unknown fields.
    for body in [
        json!({"name": 42}),
        json!({"name": "x", "is_admin": true}),
        json!({"name": "x", "lifecycle_stage": "zombie"}),
        json!({"name": "x".repeat(256)}),
    ] {
        let response = app.post("/customers", &body).await;
        expect_problem(response, 422, "validation_failed").await;
    }
    // Field rules, every broken one named.
    let problem = expect_problem(
        app.post(
            "/customers",
            &json!({"name": " ", "email": "not-an-email", "attributes": {"nested": {"a": 1}}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        error_fields(&problem),
        ["name", "email", "attributes.nested"]
    );
    assert_eq!(customer_count(&app).await, 1);
}

async fn oversize_bodies_get_413(backend: Backend) {
    let app = spawn_app_with(backend, &["--body-limit", "4096"]).await;
    let big = json!({"name": "x".repeat(10_000)});
    expect_problem(app.post("/customers", &big).await, 413, "payload_too_large").await;
    assert_eq!(customer_count(&app).await, 0);
}

async fn bad_queries_and_paths(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app.customer("Existing").await;
    for limit in ["0", "-1", "501", "100000000000"] {
        expect_problem(
            app.get(&format!("/customers?limit={limit}")).await,
            422,
            "validation_failed",
        )
        .await;
    }
    for (path, status, code) in [
        ("/customers?limit=abc", 400, "invalid_query"),
        (
            "/customers?limit=99999999999999999999999",
            400,
            "invalid_query",
        ),
        ("/customers?cursor=garbage", 400, "invalid_cursor"),
        ("/customers?sort=password_hash", 422, "validation_failed"),
        ("/customers?updated_since=yesterday", 400, "invalid_query"),
        ("/customers/not-a-uuid", 404, "not_found"),
        ("/no-such-route", 404, "not_found"),
    ] {
        expect_problem(app.get(path).await, status, code).await;
    }
    let unknown = format!("/customers/{}", uuid::Uuid::now_v7());
    expect_problem(app.get(&unknown).await, 404, "not_found").await;
    expect_problem(
        app.patch(&unknown, &json!({"name": "x"})).await,
        404,
        "not_found",
    )
    .await;
    let path = format!("/customers/{id}");
    expect_problem(
        app.send_if_match(Method::PATCH, &path, "three", Some(&json!({"name": "x"})))
            .await,
        400,
        "invalid_header",
    )
    .await;
    expect_problem(
        app.delete(&format!("{path}?erase=maybe")).await,
        400,
        "invalid_query",
    )
    .await;
    expect_problem(app.delete("/customers").await, 405, "method_not_allowed").await;
    assert_eq!(app.get_customer(&id).await["name"], "Existing");
    assert_eq!(customer_count(&app).await, 1);
}

async fn missing_or_forged_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .anonymous(Method::GET, "/customers")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_problem(response, 401, "unauthorized").await;
    for token in ["garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        expect_problem(app.get_as(token, "/customers").await, 401, "unauthorized").await;
    }
    // A well-formed token signed with another key.
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": uuid::Uuid::now_v7(), "role": "admin", "dept": null,
        "iss": "rapport", "aud": "rapport-api", "exp": now + 600, "iat": now,
        "jti": uuid::Uuid::now_v7(), "ver": 0});
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&[1u8; 32]),
    )
    .unwrap();
    let response = app
        .post_as(&forged, "/customers", &json!({"name": "x"}))
        .await;
    expect_problem(response, 401, "unauthorized").await;
    // Wrong password: same answer as an unknown e-mail.
    for (email, password) in [
        ("admin@example.com", "wrong password!"),
        ("nobody@example.com", "whatever password"),
    ] {
        let problem =
            expect_problem(app.try_login(email, password).await, 401, "unauthorized").await;
        assert_eq!(problem["detail"], "invalid e-mail or password");
    }
    assert_eq!(customer_count(&app).await, 0);
}

crate::on_every_backend!(
    malformed_bodies,
    oversize_bodies_get_413,
    bad_queries_and_paths,
    missing_or_forged_credentials
);

const UNKNOWN: &str = "0190f2a4-0000-7000-8000-000000000000";

async fn bad_queries_and_ids_on_workflow_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let events = format!("/workflow-instances/{UNKNOWN}/events");
    let runs = format!("/automations/{UNKNOWN}/runs");
    let deliveries = format!("/webhooks/{UNKNOWN}/deliveries");
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
        (&deliveries, 404, "not_found"),
        (&runs, 404, "not_found"),
        (&events, 404, "not_found"),
    ] {
        expect_problem(app.get(path).await, status, code).await;
    }
}

async fn bad_bodies_on_workflow_routes_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let started = app.start_workflow("churn-save").await;
    let id = id_of(&started);
    let transitions = format!("/workflow-instances/{id}/transitions");
    let raw = async |path: &str, body: &str| {
        app.post_raw(path, "application/json", body.as_bytes().to_vec())
            .await
    };
    expect_problem(raw(&transitions, "{\"to\": ").await, 400, "malformed_json").await;
    expect_problem(raw("/workflows", "[1, 2]").await, 422, "validation_failed").await;
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
    let churn = demo_definition("churn-save");
    let put = app
        .send_if_match(
            Method::PUT,
            "/workflows/churn-save",
            "yesterday",
            Some(&churn),
        )
        .await;
    expect_problem(put, 400, "invalid_header").await;
    let mut broken = churn.clone();
    broken["steps"][0]["sla_hours"] = json!(-1);
    broken["steps"][1]["department"] = json!("");
    let problem = expect_problem(
        app.put("/workflows/churn-save", &broken).await,
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

    let unchanged = app.instance(&id).await;
    assert_eq!(unchanged["version"], 1);
    assert_eq!(app.instance_events(&id).await.len(), 1);
    let latest = app.fetch("/workflows/churn-save").await;
    assert_eq!(latest["version"], 1);
    assert_eq!(app.count("/automations").await, 0);
    assert_eq!(app.count("/webhooks").await, 0);
}

crate::on_every_backend!(
    bad_queries_and_ids_on_workflow_routes,
    bad_bodies_on_workflow_routes_change_nothing,
);
