//! The role matrix of DESIGN.md, through the real HTTP API: every role
//! against every action whose routes exist, plus the conditional cells
//! (sales own / other's / unowned customers, analyst masking).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_problem, expect_status, spawn_app};

const ROLES: [&str; 7] = [
    "admin",
    "manager",
    "sales",
    "marketing",
    "support",
    "analyst",
    "integration",
];

/// The table of DESIGN.md §3, written out independently of the code.
fn allowed(action: &str, role: &str) -> bool {
    let roles: &[&str] = match action {
        "manage_access" => &["admin"],
        "read_customers" => &ROLES,
        "write_customers" => &["admin", "manager", "sales", "support", "integration"],
        "erase_customers" => &["admin", "manager"],
        "restore_customers" => &["admin"],
        "write_items" => &["admin", "manager", "marketing", "integration"],
        "write_interactions" => &[
            "admin",
            "manager",
            "sales",
            "marketing",
            "support",
            "integration",
        ],
        "read_predictions" => &ROLES,
        "train_models" => &["admin", "analyst"],
        other => panic!("unknown action {other}"),
    };
    roles.contains(&role)
}

/// A signed-in caller per role: users for the human roles, an API key for
/// `integration`.
async fn callers(app: &TestApp) -> Vec<(&'static str, String, Option<String>)> {
    let mut out = Vec::new();
    for role in ROLES {
        match role {
            "admin" => out.push((role, app.token.clone(), None)),
            "integration" => {
                let key = app.create("/api-keys", &json!({"name": "matrix"})).await;
                out.push((role, key["key"].as_str().unwrap().to_owned(), None));
            }
            _ => {
                let (id, token) = app.user(role, Some("sales")).await;
                out.push((role, token, Some(id)));
            }
        }
    }
    out
}

async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: impl Into<String>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.request_as(token, method, &path.into());
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// Asserts 2xx when allowed, else 403 `forbidden`.
async fn check(response: reqwest::Response, allowed: bool, what: &str) -> Value {
    let status = response.status().as_u16();
    if allowed {
        let text = response.text().await.unwrap();
        assert!(
            (200..300).contains(&status),
            "{what}: expected success, got {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    } else {
        assert_eq!(status, 403, "{what}: expected 403");
        expect_problem(response, 403, "forbidden").await
    }
}

async fn every_role_against_every_action(backend: Backend) {
    let app = spawn_app(backend).await;
    let callers = callers(&app).await;
    let item = app
        .create("/items", &json!({"sku": "SKU-M", "name": "Matrix item"}))
        .await;
    for (role, token, _) in &callers {
        let role = *role;
        let what = |action: &str| format!("{role} / {action}");

        for path in ["/users", "/api-keys", "/audit-log"] {
            let response = send(&app, token, Method::GET, path, None).await;
            check(response, allowed("manage_access", role), &what(path)).await;
        }
        let keys_before = app.count("/api-keys").await;
        let response = send(
            &app,
            token,
            Method::POST,
            "/api-keys",
            Some(json!({"name": role})),
        )
        .await;
        check(
            response,
            allowed("manage_access", role),
            &what("create api key"),
        )
        .await;
        let expected = keys_before + usize::from(allowed("manage_access", role));
        assert_eq!(app.count("/api-keys").await, expected, "{role}");

        let target = app
            .create("/customers", &json!({"name": "Target Person"}))
            .await;
        let id = target["id"].as_str().unwrap();
        let response = send(&app, token, Method::GET, &format!("/customers/{id}"), None).await;
        check(
            response,
            allowed("read_customers", role),
            &what("read customer"),
        )
        .await;
        let response = send(&app, token, Method::GET, "/customers", None).await;
        check(
            response,
            allowed("read_customers", role),
            &what("list customers"),
        )
        .await;

        let count_before = app.count("/customers").await;
        let response = send(
            &app,
            token,
            Method::POST,
            "/customers",
            Some(json!({"name": "New"})),
        )
        .await;
        check(
            response,
            allowed("write_customers", role),
            &what("create customer"),
        )
        .await;
        let expected = count_before + usize::from(allowed("write_customers", role));
        assert_eq!(app.count("/customers").await, expected, "{role}");
        let response = send(
            &app,
            token,
            Method::PATCH,
            &format!("/customers/{id}"),
            Some(json!({"segment": "changed"})),
        )
        .await;
        check(
            response,
            allowed("write_customers", role),
            &what("update customer"),
        )
        .await;
        let after = expect_status(app.get(&format!("/customers/{id}")).await, 200).await;
        let expected = if allowed("write_customers", role) {
            json!("changed")
        } else {
            Value::Null
        };
        assert_eq!(after["segment"], expected, "{role}");

        let response = send(
            &app,
            token,
            Method::DELETE,
            &format!("/customers/{id}?erase=true"),
            None,
        )
        .await;
        check(
            response,
            allowed("erase_customers", role),
            &what("erase customer"),
        )
        .await;
        let export = expect_status(app.get(&format!("/customers/{id}/export")).await, 200).await;
        let expected = if allowed("erase_customers", role) {
            "[erased]"
        } else {
            "Target Person"
        };
        assert_eq!(export["customer"]["name"], expected, "{role}");

        let doomed = app.create("/customers", &json!({"name": "Soft"})).await;
        let doomed = doomed["id"].as_str().unwrap();
        let response = app
            .request(Method::DELETE, &format!("/customers/{doomed}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let response = send(
            &app,
            token,
            Method::POST,
            &format!("/customers/{doomed}/restore"),
            None,
        )
        .await;
        check(
            response,
            allowed("restore_customers", role),
            &what("restore customer"),
        )
        .await;
        let status = app
            .get(&format!("/customers/{doomed}"))
            .await
            .status()
            .as_u16();
        assert_eq!(
            status,
            if allowed("restore_customers", role) {
                200
            } else {
                404
            },
            "{role}"
        );

        let items_before = app.count("/items").await;
        let response = send(
            &app,
            token,
            Method::POST,
            "/items",
            Some(json!({"sku": format!("SKU-{role}"), "name": "x"})),
        )
        .await;
        check(response, allowed("write_items", role), &what("create item")).await;
        let expected = items_before + usize::from(allowed("write_items", role));
        assert_eq!(app.count("/items").await, expected, "{role}");

        let live = app.create("/customers", &json!({"name": "Buyer"})).await;
        let path = format!("/interactions?customer_id={}", live["id"].as_str().unwrap());
        let response = send(
            &app,
            token,
            Method::POST,
            "/interactions",
            Some(json!({
            "customer_id": live["id"], "item_id": item["id"], "kind": "view"})),
        )
        .await;
        check(
            response,
            allowed("write_interactions", role),
            &what("record interaction"),
        )
        .await;
        let expected = usize::from(allowed("write_interactions", role));
        assert_eq!(app.count(&path).await, expected, "{role}");

        let response = send(&app, token, Method::GET, "/engines", None).await;
        check(
            response,
            allowed("read_predictions", role),
            &what("list engines"),
        )
        .await;
        let jobs_before = app.count("/jobs").await;
        let response = send(
            &app,
            token,
            Method::POST,
            "/engines/popularity/train",
            Some(json!({})),
        )
        .await;
        check(
            response,
            allowed("train_models", role),
            &what("train a model"),
        )
        .await;
        let expected = jobs_before + usize::from(allowed("train_models", role));
        assert_eq!(app.count("/jobs").await, expected, "{role}");
    }
}

async fn sales_may_change_only_own_or_unowned_customers(backend: Backend) {
    let app = spawn_app(backend).await;
    let (sales_id, sales) = app.user("sales", None).await;
    let (manager_id, _) = app.user("manager", None).await;
    let own = app
        .create("/customers", &json!({"name": "Own", "owner_id": sales_id}))
        .await;
    let other = app
        .create(
            "/customers",
            &json!({"name": "Other", "owner_id": manager_id}),
        )
        .await;
    let unowned = app.create("/customers", &json!({"name": "Nobody's"})).await;
    let patch = |c: &Value| {
        send(
            &app,
            &sales,
            Method::PATCH,
            format!("/customers/{}", c["id"].as_str().unwrap()),
            Some(json!({"segment": "touched"})),
        )
    };
    expect_status(patch(&own).await, 200).await;
    expect_status(patch(&unowned).await, 200).await;
    expect_problem(patch(&other).await, 403, "forbidden").await;
    let untouched = expect_status(
        app.get(&format!("/customers/{}", other["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert_eq!(untouched["segment"], Value::Null);
    assert_eq!(untouched["version"], 1);

    // Nor may sales give a customer away, or create one for someone else.
    let response = send(
        &app,
        &sales,
        Method::PATCH,
        &format!("/customers/{}", own["id"].as_str().unwrap()),
        Some(json!({"owner_id": manager_id})),
    )
    .await;
    expect_problem(response, 403, "forbidden").await;
    let before = app.count("/customers").await;
    let response = send(
        &app,
        &sales,
        Method::POST,
        "/customers",
        Some(json!({"name": "Gift", "owner_id": manager_id})),
    )
    .await;
    expect_problem(response, 403, "forbidden").await;
    assert_eq!(app.count("/customers").await, before);
    let response = send(
        &app,
        &sales,
        Method::DELETE,
        &format!("/customers/{}", other["id"].as_str().unwrap()),
        None,
    )
    .await;
    expect_problem(response, 403, "forbidden").await;
    expect_status(
        app.get(&format!("/customers/{}", other["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
}

async fn analysts_read_customers_masked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, analyst) = app.user("analyst", None).await;
    let customer = app
        .create(
            "/customers",
            &json!({"name": "Jane van Doe", "email": "jane@example.com",
        "phone": "+44 20 7946 0958", "segment": "smb"}),
        )
        .await;
    let id = customer["id"].as_str().unwrap();
    app.create(
        "/interactions",
        &json!({"customer_id": id, "kind": "call", "note": "Jane said she is moving"}),
    )
    .await;

    let check_masked = |c: &Value| {
        assert_eq!(c["name"], "J. V. D.");
        assert_eq!(c["email"], "j***@example.com");
        assert_eq!(c["phone"], "***58");
        assert_eq!(c["segment"], "smb");
    };
    let list = expect_status(
        send(&app, &analyst, Method::GET, "/customers", None).await,
        200,
    )
    .await;
    check_masked(&list["data"][0]);
    let one = expect_status(
        send(
            &app,
            &analyst,
            Method::GET,
            &format!("/customers/{id}"),
            None,
        )
        .await,
        200,
    )
    .await;
    check_masked(&one);
    let timeline = expect_status(
        send(
            &app,
            &analyst,
            Method::GET,
            &format!("/customers/{id}/interactions"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(timeline["data"][0]["kind"], "call");
    assert_eq!(timeline["data"][0]["note"], Value::Null);
    let export = expect_status(
        send(
            &app,
            &analyst,
            Method::GET,
            &format!("/customers/{id}/export"),
            None,
        )
        .await,
        200,
    )
    .await;
    check_masked(&export["customer"]);
    assert_eq!(export["interactions"][0]["note"], Value::Null);
    let text = export.to_string();
    assert!(
        !text.contains("jane@example.com")
            && !text.contains("Jane van Doe")
            && !text.contains("moving")
    );

    // The admin sees everything.
    let full = expect_status(app.get(&format!("/customers/{id}/export")).await, 200).await;
    assert_eq!(full["customer"]["email"], "jane@example.com");
    assert_eq!(full["interactions"][0]["note"], "Jane said she is moving");
}

crate::on_every_backend!(
    every_role_against_every_action,
    sales_may_change_only_own_or_unowned_customers,
    analysts_read_customers_masked,
);
