//! Workflow definitions (validation, versions), invalid, stale and
//! concurrent transitions (exactly one wins), the SLA checker, and the demo
//! seed.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, demo_definition, error_fields, expect_problem, expect_status, id_of, spawn_app,
    spawn_app_with, transition,
};
use rapport_api::demo::workflows as demo;

async fn definitions_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let sales = app.user("sales", Some("sales")).await;
    let churn = demo_definition("churn-save");

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
        app.post_as(&sales.token, "/workflows", &churn).await,
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
        let fields = error_fields(&problem);
        assert!(
            fields.iter().any(|f| f == field),
            "{field} not in {fields:?}"
        );
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
}

async fn an_edit_is_a_new_version_and_running_instances_keep_theirs(backend: Backend) {
    let app = spawn_app(backend).await;
    let churn = demo_definition("churn-save");
    app.create("/workflows", &churn).await;
    let running = app.start_workflow("churn-save").await;
    let mut edited = churn.clone();
    edited["steps"][0]["sla_hours"] = json!(4);
    edited["name"] = json!("Churn save (fast triage)");
    let put = async |if_match: &str| {
        app.send_if_match(
            Method::PUT,
            "/workflows/churn-save",
            if_match,
            Some(&edited),
        )
        .await
    };
    let v2 = expect_status(put("\"1\"").await, 200).await;
    assert_eq!(v2["version"], 2);
    expect_problem(put("\"1\"").await, 412, "precondition_failed").await;
    let latest = app.fetch("/workflows/churn-save").await;
    assert_eq!(latest["name"], "Churn save (fast triage)");
    assert_eq!(latest["version"], 2);
    let old = app.fetch("/workflows/churn-save/versions/1").await;
    assert_eq!(old["name"], "Churn save");
    assert_eq!(old["latest"], false);
    assert_eq!(app.count("/workflows").await, 1);
    let kept = app.instance(&id_of(&running)).await;
    assert_eq!(kept["workflow_version"], 1);
    assert_eq!(kept["workflow_name"], "Churn save");
    let fresh = app.start_workflow("churn-save").await;
    assert_eq!(fresh["workflow_version"], 2);
    expect_problem(app.get("/workflows/nope").await, 404, "not_found").await;
}

async fn invalid_and_stale_transitions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let started = app.start_workflow("churn-save").await;
    let id = id_of(&started);
    let try_move = async |body: &serde_json::Value| app.try_transition(&app.token, &id, body).await;
    for to in ["discount_approval", "nowhere", "triage"] {
        let response = try_move(&transition(to, &started["version"])).await;
        expect_problem(response, 409, "invalid_transition").await;
    }
    expect_problem(
        try_move(&transition("retention_offer", &json!(7))).await,
        409,
        "version_conflict",
    )
    .await;
    for bad in [
        json!({"to": "retention_offer"}),
        json!({"to": "retention_offer", "expected_version": 1, "extra": true}),
        json!({"to": 5, "expected_version": 1}),
    ] {
        expect_problem(try_move(&bad).await, 422, "validation_failed").await;
    }
    let unchanged = app.instance(&id).await;
    assert_eq!(unchanged["current_step"], "triage");
    assert_eq!(unchanged["version"], 1);
    assert_eq!(app.instance_events(&id).await.len(), 1);

    let moved = app.transition(&id, "saved", &json!(1)).await;
    assert_eq!(moved["status"], "completed");
    expect_problem(
        try_move(&transition("retention_offer", &moved["version"])).await,
        409,
        "invalid_transition",
    )
    .await;
    let unknown = "0190f2a4-0000-7000-8000-000000000000";
    expect_problem(
        app.try_transition(&app.token, unknown, &transition("saved", &json!(1)))
            .await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.post(
            "/workflow-instances",
            &json!({"workflow_key": "nope", "customer_id": unknown}),
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
    let db = app.db().await;
    demo::seed(&db).await.unwrap();
    demo::seed(&db).await.unwrap();
    let keys = crate::helpers::strings(&app.list_all("/workflows").await, "key");
    assert_eq!(
        keys,
        ["churn-save", "lead-handoff"],
        "seeding twice adds nothing"
    );
    let mut ids = Vec::new();
    for i in 0..6 {
        let id = app.customer(&format!("Demo {i}")).await;
        ids.push(id.parse().unwrap());
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
    definitions_are_validated,
    an_edit_is_a_new_version_and_running_instances_keep_theirs,
    invalid_and_stale_transitions,
    demo_seed_defines_and_starts_workflows,
);

async fn concurrent_transitions_have_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let support = app.user("support", Some("support")).await;
    for _ in 0..5 {
        let started = app.start_workflow("churn-save").await;
        let id = id_of(&started);
        let escalate = json!({"to": "retention_offer", "expected_version": 1});
        let resolve = json!({"to": "saved", "expected_version": 1});
        let (a, b) = tokio::join!(
            app.try_transition(&app.token, &id, &escalate),
            app.try_transition(&support.token, &id, &resolve)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let (winner, loser) = if a.status() == 200 { (a, b) } else { (b, a) };
        let winner: Value = expect_status(winner, 200).await;
        expect_problem(loser, 409, "version_conflict").await;
        let now = app.instance(&id).await;
        assert_eq!(now["version"], 2);
        assert_eq!(now["current_step"], winner["current_step"]);
        let events = app.instance_events(&id).await;
        assert_eq!(events.len(), 2, "one started and one transitioned event");
    }
}

/// Two writers that both read version 1 and both pass the version check in
/// memory: only the conditional UPDATE can stop the second, so this holds
/// however the two interleave (run one after the other, they would both
/// pass a check made only on what was read).
async fn stale_reads_cannot_both_transition(backend: Backend) {
    use rapport_api::entities::workflow_instance;
    use rapport_api::services::workflow_engine::{self as engine, Change, NewEvent, Pinned};
    use sea_orm::EntityTrait;

    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let started = app.start_workflow("churn-save").await;
    let id: uuid::Uuid = id_of(&started).parse().unwrap();
    let db = app.db().await;
    let read = workflow_instance::Entity::find_by_id(id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let pinned = Pinned::of(&db, read.definition_id).await.unwrap();
    let move_to = |step: &str| {
        let change = Change {
            to_step: Some(step.to_owned()),
            assignee_id: None,
            status: None,
        };
        let event = NewEvent {
            kind: "transitioned",
            from_step: Some(read.current_step.clone()),
            to_step: Some(step.to_owned()),
            ..NewEvent::default()
        };
        engine::apply(&db, &read, &pinned, 1, change, event)
    };
    let (a, b) = tokio::join!(move_to("retention_offer"), move_to("saved"));
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{outcomes:?}");
    let loser = if a.is_ok() { b } else { a };
    assert_eq!(
        loser.unwrap_err().code(),
        rapport_api::domain::ErrorCode::VersionConflict
    );
    let now = app.instance(&id.to_string()).await;
    assert_eq!(now["version"], 2);
    let events = app.instance_events(&id.to_string()).await;
    assert_eq!(events.len(), 2, "one started and one transitioned event");
}

async fn sla_breach_is_recorded_once(backend: Backend) {
    let app = spawn_app_with(backend, &["--sla-check-interval-ms", "100"]).await;
    let mut fast = demo_definition("churn-save");
    fast["steps"][0]["sla_hours"] = json!(0.0002); // 0.72 s
    app.create("/workflows", &fast).await;
    let started = app.start_workflow("churn-save").await;
    let id = id_of(&started);
    assert_eq!(started["overdue"], false);
    let mut breached = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        breached = app.instance_events(&id).await;
        breached.retain(|e| e["kind"] == "sla_breached");
        if !breached.is_empty() {
            break;
        }
    }
    assert_eq!(breached.len(), 1, "the breach was recorded");
    assert_eq!(breached[0]["from_step"], "triage");
    assert!(breached[0]["actor_id"].is_null());
    // Further rounds do not record it again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events = app.instance_events(&id).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["kind"] == "sla_breached")
            .count(),
        1
    );
    let now = app.instance(&id).await;
    assert_eq!(now["overdue"], true);
    assert!(now["sla_breached_at"].is_string());
    assert_eq!(now["version"], 1, "the breach does not bump the version");
    assert_eq!(app.count("/workflow-instances?overdue=true").await, 1);

    // The next step has its own, longer SLA.
    let moved = app.transition(&id, "retention_offer", &json!(1)).await;
    assert_eq!(moved["overdue"], false);
    assert!(moved["sla_breached_at"].is_null());
    assert_eq!(app.count("/workflow-instances?overdue=true").await, 0);
}

crate::on_every_backend!(
    concurrent_transitions_have_one_winner,
    stale_reads_cannot_both_transition,
    sla_breach_is_recorded_once
);
