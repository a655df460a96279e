//! The role rules of workflows for every role: acting on a step needs the
//! step's department (or admin, manager); defining workflows, automations
//! and webhooks is for admins and managers; everyone reads.

use serde_json::json;

use crate::helpers::{
    Backend, Person, TestApp, demo_definition, expect_problem, expect_status, id_of, spawn_app,
    spawn_app_with, transition,
};

/// Tries to move a fresh churn-save instance out of triage (a support step)
/// as `person`; returns the status.
async fn try_triage(app: &TestApp, person: &Person) -> u16 {
    let started = app.start_workflow("churn-save").await;
    let id = id_of(&started);
    let response = app
        .try_transition(
            &person.token,
            &id,
            &transition("retention_offer", &started["version"]),
        )
        .await;
    let status = response.status().as_u16();
    if status == 403 {
        expect_problem(response, 403, "forbidden").await;
        let after = app.instance(&id).await;
        assert_eq!(after["current_step"], "triage", "{person:?}");
        assert_eq!(after["version"], started["version"]);
    } else {
        let moved = expect_status(response, 200).await;
        assert_eq!(moved["current_step"], "retention_offer");
        assert_eq!(moved["department"], "sales");
    }
    status
}

async fn department_rules_for_every_role(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let cases: [(&str, Option<&str>, u16); 9] = [
        ("admin", None, 200),
        ("manager", None, 200),
        ("support", Some("support"), 200),
        ("support", None, 403),
        ("support", Some("finance"), 403),
        ("sales", Some("sales"), 403),
        ("marketing", Some("marketing"), 403),
        ("analyst", Some("support"), 403),
        ("integration", Some("support"), 403),
    ];
    for (role, department, expected) in cases {
        let person = app.user(role, department).await;
        assert_eq!(
            try_triage(&app, &person).await,
            expected,
            "{role} in {department:?}"
        );
    }

    // On the sales step, sales may act and support may not.
    let sales = app.user("sales", Some("sales")).await;
    let support = app.user("support", Some("support")).await;
    let started = app.start_workflow("churn-save").await;
    let id = id_of(&started);
    let escalate = transition("retention_offer", &started["version"]);
    let moved = expect_status(
        app.try_transition(&support.token, &id, &escalate).await,
        200,
    )
    .await;
    let save = transition("saved", &moved["version"]);
    expect_problem(
        app.try_transition(&support.token, &id, &save).await,
        403,
        "forbidden",
    )
    .await;
    let done = expect_status(app.try_transition(&sales.token, &id, &save).await, 200).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["allowed_transitions"], json!([]));

    // Starting follows the initial step's department.
    let target = app.customer("Grace").await;
    let body = json!({"workflow_key": "churn-save", "customer_id": target});
    expect_problem(
        app.post_as(&sales.token, "/workflow-instances", &body)
            .await,
        403,
        "forbidden",
    )
    .await;
    let analyst = app.user("analyst", None).await;
    expect_problem(
        app.post_as(&analyst.token, "/workflow-instances", &body)
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        app.count(&format!("/workflow-instances?customer_id={target}"))
            .await,
        0
    );
    expect_status(
        app.post_as(&support.token, "/workflow-instances", &body)
            .await,
        201,
    )
    .await;
}

/// DESIGN.md §3: everyone reads workflows; only admins and managers define
/// workflows, automations and webhooks.
async fn define_and_read_rights_for_every_role(backend: Backend) {
    let app = spawn_app_with(backend, &["--webhook-allow-private"]).await;
    app.define_demo_workflows().await;
    for role in [
        "admin",
        "manager",
        "sales",
        "marketing",
        "support",
        "analyst",
        "integration",
    ] {
        let person = app.user(role, Some("sales")).await;
        let allowed = matches!(role, "admin" | "manager");
        for path in ["/workflows", "/workflows/churn-save", "/workflow-instances"] {
            expect_status(app.get_as(&person.token, path).await, 200).await;
        }
        let mut definition = demo_definition("lead-handoff");
        definition["key"] = json!(format!("handoff-{role}"));
        let creations = [
            ("/workflows", definition),
            (
                "/automations",
                json!({"name": role, "when": {"type": "lifecycle_stage", "to": "churned"},
                                     "then": {"workflow_key": "churn-save"}}),
            ),
            (
                "/webhooks",
                json!({"url": "http://127.0.0.1:9/hook", "events": ["workflow.started"]}),
            ),
        ];
        for (path, body) in creations {
            let before = app.count(path).await;
            let response = app.post_as(&person.token, path, &body).await;
            if allowed {
                expect_status(response, 201).await;
            } else {
                expect_problem(response, 403, "forbidden").await;
            }
            assert_eq!(
                app.count(path).await,
                before + usize::from(allowed),
                "{role} {path}"
            );
            let response = app.get_as(&person.token, path).await;
            if allowed || path == "/workflows" {
                expect_status(response, 200).await;
            } else {
                expect_problem(response, 403, "forbidden").await;
            }
        }
    }
}

crate::on_every_backend!(
    department_rules_for_every_role,
    define_and_read_rights_for_every_role
);
