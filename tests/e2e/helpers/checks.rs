//! The checks every test makes on a response: its status and body, a problem
//! document, and a condition that must come true within a deadline.

use std::time::{Duration, Instant};

use reqwest::Response;
use serde_json::Value;

/// Asserts the status and returns the JSON body.
pub async fn expect_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let url = response.url().path().to_owned();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status from {url}; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// Asserts a problem+json response with this status and code; returns it.
pub async fn expect_problem(response: Response, status: u16, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    body
}

/// The `field` of every error of a 422 problem.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .expect("errors array")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

/// Asks `check` every 100 ms until it holds; fails naming `what` when it
/// still does not after `within`.
pub async fn eventually(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The string `field` of every row.
pub fn strings(rows: &[Value], field: &str) -> Vec<String> {
    rows.iter()
        .map(|r| {
            r[field]
                .as_str()
                .unwrap_or_else(|| panic!("{field} of {r}"))
                .to_owned()
        })
        .collect()
}

/// The `id` of a resource body.
pub fn id_of(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body}"))
        .to_owned()
}
