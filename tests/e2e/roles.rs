//! The role matrix of DESIGN.md, through the real HTTP API: every role
//! against every action whose routes exist, plus the conditional cells
//! (sales own / other's / unowned customers, analyst masking).

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_problem, expect_status, id_of, spawn_app};

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

/// One signed-in caller per role: users for the human roles (in the sales
/// department), an API key for `integration`.
async fn callers(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for role in ROLES {
        let token = match role {
            "admin" => app.token.clone(),
            "integration" => {
                let key = app.create_api_key("matrix").await;
                key["key"].as_str().unwrap().to_owned()
            }
            _ => app.user(role, Some("sales")).await.token,
        };
        out.push((role, token));
    }
    out
}

/// Asserts 2xx when allowed, else 403 `forbidden`; returns the body.
async fn check(response: Response, allowed: bool, what: &str) -> Value {
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

async fn access_management_is_for_admins(backend: Backend) {
    let app = spawn_app(backend).await;
    for (role, token) in callers(&app).await {
        let may = allowed("manage_access", role);
        for path in ["/users", "/api-keys", "/audit-log"] {
            let response = app.get_as(&token, path).await;
            check(response, may, &format!("{role} / {path}")).await;
        }
        let keys_before = app.count("/api-keys").await;
        let response = app
            .post_as(&token, "/api-keys", &json!({"name": role}))
            .await;
        check(response, may, &format!("{role} / create api key")).await;
        let expected = keys_before + usize::from(may);
        assert_eq!(app.count("/api-keys").await, expected, "{role}");
    }
}

async fn customer_rights_by_role(backend: Backend) {
    let app = spawn_app(backend).await;
    for (role, token) in callers(&app).await {
        let what = |action: &str| format!("{role} / {action}");
        let id = app.customer("Target Person").await;
        let path = format!("/customers/{id}");
        let may_read = allowed("read_customers", role);
        check(app.get_as(&token, &path).await, may_read, &what("read")).await;
        let response = app.get_as(&token, "/customers").await;
        check(response, may_read, &what("list")).await;

        let may_write = allowed("write_customers", role);
        let count_before = app.count("/customers").await;
        let response = app
            .post_as(&token, "/customers", &json!({"name": "New"}))
            .await;
        check(response, may_write, &what("create customer")).await;
        let expected = count_before + usize::from(may_write);
        assert_eq!(app.count("/customers").await, expected, "{role}");
        let response = app
            .patch_as(&token, &path, &json!({"segment": "changed"}))
            .await;
        check(response, may_write, &what("update customer")).await;
        let expected = if may_write {
            json!("changed")
        } else {
            Value::Null
        };
        assert_eq!(app.get_customer(&id).await["segment"], expected, "{role}");
    }
}

async fn erasure_and_restore_rights_by_role(backend: Backend) {
    let app = spawn_app(backend).await;
    for (role, token) in callers(&app).await {
        let what = |action: &str| format!("{role} / {action}");
        let id = app.customer("Target Person").await;
        let may_erase = allowed("erase_customers", role);
        let response = app
            .delete_as(&token, &format!("/customers/{id}?erase=true"))
            .await;
        check(response, may_erase, &what("erase customer")).await;
        let expected = if may_erase {
            "[erased]"
        } else {
            "Target Person"
        };
        let export = app.export_customer(&id).await;
        assert_eq!(export["customer"]["name"], expected, "{role}");

        let doomed = app.customer("Soft").await;
        app.delete_customer(&doomed).await;
        let may_restore = allowed("restore_customers", role);
        let response = app
            .send_as(
                &token,
                Method::POST,
                &format!("/customers/{doomed}/restore"),
                None,
            )
            .await;
        check(response, may_restore, &what("restore customer")).await;
        let status = app.get(&format!("/customers/{doomed}")).await.status();
        let expected = if may_restore { 200 } else { 404 };
        assert_eq!(status.as_u16(), expected, "{role}");
    }
}

async fn catalogue_interaction_and_training_rights_by_role(backend: Backend) {
    let app = spawn_app(backend).await;
    let item = app.item("SKU-M", "Matrix item").await;
    for (role, token) in callers(&app).await {
        let what = |action: &str| format!("{role} / {action}");
        let may = allowed("write_items", role);
        let items_before = app.count("/items").await;
        let body = json!({"sku": format!("SKU-{role}"), "name": "x"});
        let response = app.post_as(&token, "/items", &body).await;
        check(response, may, &what("create item")).await;
        assert_eq!(
            app.count("/items").await,
            items_before + usize::from(may),
            "{role}"
        );

        let buyer = app.customer("Buyer").await;
        let body = json!({"customer_id": buyer, "item_id": item, "kind": "view"});
        let may = allowed("write_interactions", role);
        let response = app.post_as(&token, "/interactions", &body).await;
        check(response, may, &what("record interaction")).await;
        let path = format!("/interactions?customer_id={buyer}");
        assert_eq!(app.count(&path).await, usize::from(may), "{role}");

        let response = app.get_as(&token, "/engines").await;
        check(
            response,
            allowed("read_predictions", role),
            &what("list engines"),
        )
        .await;
        let may = allowed("train_models", role);
        let jobs_before = app.count("/jobs").await;
        let response = app
            .post_as(&token, "/engines/popularity/train", &json!({}))
            .await;
        check(response, may, &what("train a model")).await;
        assert_eq!(
            app.count("/jobs").await,
            jobs_before + usize::from(may),
            "{role}"
        );
    }
}

async fn sales_may_change_only_own_or_unowned_customers(backend: Backend) {
    let app = spawn_app(backend).await;
    let sales = app.user("sales", None).await;
    let manager = app.user("manager", None).await;
    let own = id_of(
        &app.create_customer(json!({"name": "Own", "owner_id": sales.id}))
            .await,
    );
    let other = id_of(
        &app.create_customer(json!({"name": "Other", "owner_id": manager.id}))
            .await,
    );
    let unowned = app.customer("Nobody's").await;
    let patch = async |id: &str| {
        app.patch_as(
            &sales.token,
            &format!("/customers/{id}"),
            &json!({"segment": "touched"}),
        )
        .await
    };
    expect_status(patch(&own).await, 200).await;
    expect_status(patch(&unowned).await, 200).await;
    expect_problem(patch(&other).await, 403, "forbidden").await;
    let untouched = app.get_customer(&other).await;
    assert_eq!(untouched["segment"], Value::Null);
    assert_eq!(untouched["version"], 1);

    // Nor may sales give a customer away, or create one for someone else.
    let response = app
        .patch_as(
            &sales.token,
            &format!("/customers/{own}"),
            &json!({"owner_id": manager.id}),
        )
        .await;
    expect_problem(response, 403, "forbidden").await;
    assert_eq!(app.get_customer(&own).await["owner_id"], sales.id.as_str());
    let before = app.count("/customers").await;
    let response = app
        .post_as(
            &sales.token,
            "/customers",
            &json!({"name": "Gift", "owner_id": manager.id}),
        )
        .await;
    expect_problem(response, 403, "forbidden").await;
    assert_eq!(app.count("/customers").await, before);
    let response = app
        .delete_as(&sales.token, &format!("/customers/{other}"))
        .await;
    expect_problem(response, 403, "forbidden").await;
    app.get_customer(&other).await;
}

async fn analysts_read_customers_masked(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = app.user("analyst", None).await;
    let customer = app
        .create_customer(json!({"name": "Jane van Doe", "email": "jane@example.com",
            "phone": "+44 20 7946 0958", "segment": "smb"}))
        .await;
    let id = id_of(&customer);
    app.record_interaction(
        json!({"customer_id": id, "kind": "call", "note": "Jane said she is moving"}),
    )
    .await;

    let check_masked = |c: &Value| {
        assert_eq!(c["name"], "J. V. D.");
        assert_eq!(c["email"], "j***@example.com");
        assert_eq!(c["phone"], "***58");
        assert_eq!(c["segment"], "smb");
    };
    let as_analyst =
        async |path: &str| expect_status(app.get_as(&analyst.token, path).await, 200).await;
    let list = as_analyst("/customers").await;
    check_masked(&list["data"][0]);
    check_masked(&as_analyst(&format!("/customers/{id}")).await);
    let timeline = as_analyst(&format!("/customers/{id}/interactions")).await;
    assert_eq!(timeline["data"][0]["kind"], "call");
    assert_eq!(timeline["data"][0]["note"], Value::Null);
    let export = as_analyst(&format!("/customers/{id}/export")).await;
    check_masked(&export["customer"]);
    assert_eq!(export["interactions"][0]["note"], Value::Null);
    let text = export.to_string();
    assert!(
        !text.contains("jane@example.com")
            && !text.contains("Jane van Doe")
            && !text.contains("moving")
    );

    // The admin sees everything.
    let full = app.export_customer(&id).await;
    assert_eq!(full["customer"]["email"], "jane@example.com");
    assert_eq!(full["interactions"][0]["note"], "Jane said she is moving");
}

crate::on_every_backend!(
    access_management_is_for_admins,
    customer_rights_by_role,
    erasure_and_restore_rights_by_role,
    catalogue_interaction_and_training_rights_by_role,
    sales_may_change_only_own_or_unowned_customers,
    analysts_read_customers_masked,
);
