//! Personal data stays away from roles that read customers masked
//! (analysts), on every route that returns customer-related data; and a
//! soft-deleted customer is not readable through another resource.

use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, error_fields, expect_problem, expect_status, id_of, spawn_app,
};

/// Every personal value the fixture holds, none of which an analyst may read.
const SECRETS: &[&str] = &[
    "Jane van Doe",
    "jane@example.com",
    "7946 0958",
    "Initech",
    "CRM-4711",
    "moving to Lisbon",
    "wants a discount",
    "called twice",
];

/// A customer with every personal field, a noted interaction, and a
/// workflow started with a note and commented on. Returns the customer,
/// interaction and instance ids.
async fn fixture(app: &TestApp) -> (String, String, String) {
    let customer = app
        .create_customer(json!({"name": "Jane van Doe", "email": "jane@example.com",
            "phone": "+44 20 7946 0958", "company": "Initech", "external_id": "CRM-4711"}))
        .await;
    let id = id_of(&customer);
    let interaction = app
        .record_interaction(
            json!({"customer_id": id, "kind": "call", "note": "Jane is moving to Lisbon"}),
        )
        .await;
    app.define_demo_workflows().await;
    let instance = app
        .create(
            "/workflow-instances",
            &json!({"workflow_key": "churn-save", "customer_id": id,
                "note": "she wants a discount"}),
        )
        .await;
    let instance_id = id_of(&instance);
    app.create(
        &format!("/workflow-instances/{instance_id}/comments"),
        &json!({"comment": "Jane called twice"}),
    )
    .await;
    (id, id_of(&interaction), instance_id)
}

async fn analyst_sees_no_personal_data_anywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = app.user("analyst", None).await;
    let (customer, interaction, instance) = fixture(&app).await;
    let routes = [
        "/customers".to_owned(),
        format!("/customers/{customer}"),
        format!("/customers/{customer}/interactions"),
        format!("/customers/{customer}/export"),
        "/interactions".to_owned(),
        format!("/interactions?customer_id={customer}"),
        format!("/interactions/{interaction}"),
        "/workflow-instances".to_owned(),
        format!("/workflow-instances?customer_id={customer}"),
        format!("/workflow-instances/{instance}"),
        format!("/workflow-instances/{instance}/events"),
    ];
    for route in &routes {
        let body = expect_status(app.get_as(&analyst.token, route).await, 200).await;
        let text = body.to_string();
        for secret in SECRETS {
            assert!(!text.contains(secret), "{route} shows `{secret}`: {text}");
        }
    }
    let one = expect_status(
        app.get_as(&analyst.token, &format!("/customers/{customer}"))
            .await,
        200,
    )
    .await;
    assert_eq!(one["name"], "J. V. D.");
    assert_eq!(one["company"], "***");
    assert_eq!(one["external_id"], "***");
    let events = app.instance_events(&instance).await;
    let comments: Vec<&Value> = events.iter().map(|e| &e["comment"]).collect();
    assert!(
        comments
            .iter()
            .any(|c| c.as_str() == Some("Jane called twice")),
        "the admin reads the comments: {comments:?}"
    );
    // The admin reads everything the analyst may not.
    let full = app.get_customer(&customer).await;
    assert_eq!(full["external_id"], "CRM-4711");
    assert_eq!(full["company"], "Initech");
}

async fn masked_callers_neither_search_nor_sort_on_personal_data(backend: Backend) {
    let app = spawn_app(backend).await;
    let analyst = app.user("analyst", None).await;
    fixture(&app).await;
    for (query, field) in [
        ("?q=jane", "q"),
        ("?q=jane%40example.com", "q"),
        ("?sort=name", "sort"),
        ("?sort=-name", "sort"),
    ] {
        let problem = expect_problem(
            app.get_as(&analyst.token, &format!("/customers{query}"))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(error_fields(&problem), [field], "{query}");
    }
    expect_status(
        app.get_as(&analyst.token, "/customers?sort=-updated_at")
            .await,
        200,
    )
    .await;
    // Full readers still search and sort by name.
    assert_eq!(
        app.customer_names("?q=jane&sort=name").await,
        ["Jane van Doe"]
    );
}

async fn soft_deleted_customers_are_not_readable_elsewhere(backend: Backend) {
    let app = spawn_app(backend).await;
    let (customer, interaction, instance) = fixture(&app).await;
    let kept = app.customer("Kept").await;
    app.record_interaction(json!({"customer_id": kept, "kind": "view"}))
        .await;
    app.delete_customer(&customer).await;
    assert_eq!(
        app.count(&format!("/interactions?customer_id={customer}"))
            .await,
        0
    );
    assert_eq!(
        app.count(&format!("/workflow-instances?customer_id={customer}"))
            .await,
        0
    );
    assert_eq!(app.count("/interactions").await, 1, "only Kept's view");
    assert_eq!(app.count("/workflow-instances").await, 0);
    for route in [
        format!("/interactions/{interaction}"),
        format!("/workflow-instances/{instance}"),
        format!("/workflow-instances/{instance}/events"),
    ] {
        expect_problem(app.get(&route).await, 404, "not_found").await;
    }
    // Restored, it is readable again everywhere.
    app.restore_customer(&customer).await;
    assert_eq!(
        app.count(&format!("/interactions?customer_id={customer}"))
            .await,
        1
    );
    expect_status(
        app.get(&format!("/workflow-instances/{instance}")).await,
        200,
    )
    .await;
}

crate::on_every_backend!(
    analyst_sees_no_personal_data_anywhere,
    masked_callers_neither_search_nor_sort_on_personal_data,
    soft_deleted_customers_are_not_readable_elsewhere,
);
