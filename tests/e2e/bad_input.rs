//! DESIGN.md §8: bad input gets a clear problem and changes nothing.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp, expect_problem, spawn_app, spawn_app_with};

async fn customer_count(app: &TestApp) -> usize {
    app.count("/customers").await
}

async fn malformed_bodies(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create("/customers", &json!({"name": "Existing"})).await;
    let raw = |body: Vec<u8>, content_type: &str| {
        app.request(Method::POST, "/customers")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    expect_problem(
        raw(b"{\"name\": ".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
        "malformed_json",
    )
    .await;
    expect_problem(
        raw(vec![0xff, 0xfe, 0x00], "application/json")
            .await
            .unwrap(),
        400,
        "malformed_json",
    )
    .await;
    expect_problem(
        raw(b"{\"name\": \"x\"}".to_vec(), "text/plain")
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    // Wrong types and unknown fields.
    expect_problem(
        app.post("/customers", &json!({"name": 42})).await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.post("/customers", &json!({"name": "x", "is_admin": true}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.post(
            "/customers",
            &json!({"name": "x", "lifecycle_stage": "zombie"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    // Field rules.
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
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "attributes.nested"]);
    expect_problem(
        app.post("/customers", &json!({"name": "x".repeat(256)}))
            .await,
        422,
        "validation_failed",
    )
    .await;
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
    let id = app.create("/customers", &json!({"name": "Existing"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for limit in ["0", "-1", "501", "100000000000"] {
        expect_problem(
            app.get(&format!("/customers?limit={limit}")).await,
            422,
            "validation_failed",
        )
        .await;
    }
    expect_problem(app.get("/customers?limit=abc").await, 400, "invalid_query").await;
    expect_problem(
        app.get("/customers?limit=99999999999999999999999").await,
        400,
        "invalid_query",
    )
    .await;
    expect_problem(
        app.get("/customers?cursor=garbage").await,
        400,
        "invalid_cursor",
    )
    .await;
    expect_problem(
        app.get("/customers?sort=password_hash").await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.get("/customers?updated_since=yesterday").await,
        400,
        "invalid_query",
    )
    .await;
    expect_problem(
        app.get(&format!("/customers/{}", uuid::Uuid::now_v7()))
            .await,
        404,
        "not_found",
    )
    .await;
    expect_problem(app.get("/customers/not-a-uuid").await, 404, "not_found").await;
    expect_problem(
        app.patch(
            &format!("/customers/{}", uuid::Uuid::now_v7()),
            &json!({"name": "x"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.request(Method::PATCH, &format!("/customers/{id}"))
            .header("If-Match", "three")
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap(),
        400,
        "invalid_header",
    )
    .await;
    expect_problem(app.get("/no-such-route").await, 404, "not_found").await;
    expect_problem(
        app.request(Method::DELETE, "/customers")
            .send()
            .await
            .unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    assert_eq!(customer_count(&app).await, 1);
}

async fn missing_or_forged_credentials(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.client.get(app.api("/customers")).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_problem(response, 401, "unauthorized").await;
    for token in ["garbage", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        let response = app
            .client
            .get(app.api("/customers"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        expect_problem(response, 401, "unauthorized").await;
    }
    // A well-formed token signed with another key.
    let claims = json!({"sub": uuid::Uuid::now_v7(), "role": "admin", "dept": null, "iss": "rapport",
        "aud": "rapport-api", "exp": chrono::Utc::now().timestamp() + 600, "iat": chrono::Utc::now().timestamp(),
        "jti": uuid::Uuid::now_v7(), "ver": 0});
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&[1u8; 32]),
    )
    .unwrap();
    let response = app
        .client
        .post(app.api("/customers"))
        .bearer_auth(forged)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    expect_problem(response, 401, "unauthorized").await;
    // Wrong password: same answer as an unknown e-mail.
    for (email, password) in [
        ("admin@example.com", "wrong password!"),
        ("nobody@example.com", "whatever password"),
    ] {
        let response = app
            .client
            .post(app.api("/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, 401, "unauthorized").await;
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
