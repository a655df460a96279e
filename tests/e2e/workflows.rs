//! Workflow definitions (validation, versions) and instances (department
//! rules for every role, invalid and stale transitions, timeline, filters).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_problem, expect_status, spawn_app};
use crate::people;
use rapport_api::workflows::demo;

/// Defines both demo workflows.
pub async fn define_demo(app: &TestApp) {
    for input in demo::definitions() {
        app.create("/workflows", &serde_json::to_value(input).unwrap())
            .await;
    }
}

/// A new customer's id.
pub async fn customer(app: &TestApp, name: &str) -> String {
    let body = app.create("/customers", &json!({"name": name})).await;
    body["id"].as_str().unwrap().to_owned()
}

/// Starts `workflow` on a new customer as the admin; returns the instance.
pub async fn start(app: &TestApp, workflow: &str) -> Value {
    let customer = customer(app, "Someone").await;
    app.create(
        "/workflow-instances",
        &json!({"workflow_key": workflow, "customer_id": customer}),
    )
    .await
}

/// The instance as it is now.
pub async fn instance(app: &TestApp, id: &str) -> Value {
    expect_status(app.get(&format!("/workflow-instances/{id}")).await, 200).await
}

pub fn transition(to: &str, version: &Value) -> Value {
    json!({"to": to, "expected_version": version, "comment": "moving on"})
}

async fn definitions_are_validated_and_versioned(backend: Backend) {
    let app = spawn_app(backend).await;
    let sales = people::add(&app, "sales", Some("sales")).await;
    let churn = serde_json::to_value(demo::churn_save()).unwrap();

    let response = app.post("/workflows", &churn).await;
    assert_eq!(
        response.headers()["location"],
        "/api/v1/workflows/churn-save"
    );
    let v1 = expect_status(response, 201).await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["steps"].as_array().unwrap().len(), 5);
    expect_problem(app.post("/workflows", &churn).await, 409, "conflict").await;
    expect_problem(
        app.post_as(&sales, "/workflows", &churn).await,
        403,
        "forbidden",
    )
    .await;

    let mut unknown = churn.clone();
    unknown["key"] = json!("broken");
    unknown["transitions"][0]["to"] = json!("nowhere");
    let mut duplicate = unknown.clone();
    duplicate["transitions"][0]["to"] = json!("retention_offer");
    duplicate["steps"][2]["key"] = json!("triage");
    let mut unreachable = unknown.clone();
    unreachable["transitions"] = json!([{"from": "triage", "to": "retention_offer"},
        {"from": "retention_offer", "to": "triage"}]);
    for (body, field) in [
        (unknown, "transitions[0].to"),
        (duplicate, "steps[2].key"),
        (unreachable, "terminal_steps[0]"),
    ] {
        let problem = expect_problem(
            app.post("/workflows", &body).await,
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
        assert!(fields.contains(&field), "{field} not in {fields:?}");
    }
    expect_problem(
        app.post(
            "/workflows",
            &json!({"key": "x", "name": "x", "steps": [], "oops": 1}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("/workflows").await, 1, "refusals stored nothing");

    // An edit makes version 2; the running instance keeps version 1.
    let running = start(&app, "churn-save").await;
    let mut edited = churn.clone();
    edited["steps"][0]["sla_hours"] = json!(4);
    edited["name"] = json!("Churn save (fast triage)");
    let put = |if_match: &'static str| {
        app.request(Method::PUT, "/workflows/churn-save")
            .header("if-match", if_match)
            .json(&edited)
            .send()
    };
    let v2 = expect_status(put("\"1\"").await.unwrap(), 200).await;
    assert_eq!(v2["version"], 2);
    expect_problem(put("\"1\"").await.unwrap(), 412, "precondition_failed").await;
    let latest = expect_status(app.get("/workflows/churn-save").await, 200).await;
    assert_eq!(latest["name"], "Churn save (fast triage)");
    let old = expect_status(app.get("/workflows/churn-save/versions/1").await, 200).await;
    assert_eq!(old["name"], "Churn save");
    assert_eq!(old["latest"], false);
    assert_eq!(app.count("/workflows").await, 1);
    let kept = instance(&app, running["id"].as_str().unwrap()).await;
    assert_eq!(kept["workflow_version"], 1);
    assert_eq!(kept["workflow_name"], "Churn save");
    let fresh = start(&app, "churn-save").await;
    assert_eq!(fresh["workflow_version"], 2);
    expect_problem(app.get("/workflows/nope").await, 404, "not_found").await;
}

async fn invalid_and_stale_transitions(backend: Backend) {
    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let started = start(&app, "churn-save").await;
    let id = started["id"].as_str().unwrap();
    let path = format!("/workflow-instances/{id}/transitions");
    for to in ["discount_approval", "nowhere", "triage"] {
        expect_problem(
            app.post(&path, &transition(to, &started["version"])).await,
            409,
            "invalid_transition",
        )
        .await;
    }
    expect_problem(
        app.post(&path, &transition("retention_offer", &json!(7)))
            .await,
        409,
        "version_conflict",
    )
    .await;
    for bad in [
        json!({"to": "retention_offer"}),
        json!({"to": "retention_offer", "expected_version": 1, "extra": true}),
        json!({"to": 5, "expected_version": 1}),
    ] {
        expect_problem(app.post(&path, &bad).await, 422, "validation_failed").await;
    }
    let unchanged = instance(&app, id).await;
    assert_eq!(unchanged["current_step"], "triage");
    assert_eq!(unchanged["version"], 1);
    assert_eq!(
        app.count(&format!("/workflow-instances/{id}/events")).await,
        1
    );

    let moved = expect_status(app.post(&path, &transition("saved", &json!(1))).await, 200).await;
    assert_eq!(moved["status"], "completed");
    expect_problem(
        app.post(&path, &transition("retention_offer", &moved["version"]))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    expect_problem(
        app.post(
            "/workflow-instances/0190f2a4-0000-7000-8000-000000000000/transitions",
            &transition("saved", &json!(1)),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.post(
            "/workflow-instances",
            &json!({"workflow_key": "nope", "customer_id": "0190f2a4-0000-7000-8000-000000000000"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}

/// What the demo seed calls: the two definitions, then instances on customers.
async fn demo_seed_defines_and_starts_workflows(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = people::db(&app).await;
    demo::seed(&db).await.unwrap();
    demo::seed(&db).await.unwrap();
    let keys: Vec<String> = app
        .list_all("/workflows")
        .await
        .iter()
        .map(|w| w["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        keys,
        ["churn-save", "lead-handoff"],
        "seeding twice adds nothing"
    );
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(customer(&app, &format!("Demo {i}")).await.parse().unwrap());
    }
    assert_eq!(demo::seed_instances(&db, &ids).await.unwrap(), 4);
    assert_eq!(
        app.count("/workflow-instances?workflow_key=churn-save")
            .await,
        2
    );
    assert_eq!(app.count("/workflow-instances?department=sales").await, 2);
    assert_eq!(app.count("/workflow-instances?status=open").await, 4);
}

crate::on_every_backend!(
    definitions_are_validated_and_versioned,
    demo_seed_defines_and_starts_workflows,
    invalid_and_stale_transitions,
);
