//! Text with a NUL character is refused (422) before it reaches the
//! database, wherever it comes: a JSON body, a query string, a path. On
//! PostgreSQL, which cannot store NUL in text or JSON, this was a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, expect_problem, spawn_app};

async fn nul_characters_are_refused_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.count("/customers").await;

    let body = app
        .post("/customers", &json!({"name": "Ada\u{0}Lovelace"}))
        .await;
    let problem = expect_problem(body, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "body", "{problem}");
    let attribute = json!({"name": "Ada", "attributes": {"note": "a\u{0}b"}});
    expect_problem(
        app.post("/customers", &attribute).await,
        422,
        "validation_failed",
    )
    .await;

    let query = app.get("/models?engine=%00").await;
    let problem = expect_problem(query, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "query", "{problem}");
    expect_problem(
        app.get("/customers?q=a%00b").await,
        422,
        "validation_failed",
    )
    .await;

    let path = app
        .request(Method::PUT, "/customers/by-external-id/x%00y")
        .json(&json!({"name": "Ada"}))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(path, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "path", "{problem}");

    // An escaped backslash before `u0000` is text, not a NUL.
    let text = app.post("/customers", &json!({"name": "C:\\u0000"})).await;
    assert_eq!(text.status(), 201);
    assert_eq!(
        app.count("/customers").await,
        before + 1,
        "only the valid one was written"
    );
}

crate::on_every_backend!(nul_characters_are_refused_everywhere);
