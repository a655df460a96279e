//! Concurrent transitions (exactly one wins) and the SLA checker.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, expect_problem, expect_status, spawn_app, spawn_app_with};
use crate::people;
use crate::workflows::{define_demo, instance, start};

async fn concurrent_transitions_have_one_winner(backend: Backend) {
    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let support = people::add(&app, "support", Some("support")).await;
    for _ in 0..5 {
        let started = start(&app, "churn-save").await;
        let id = started["id"].as_str().unwrap();
        let path = format!("/workflow-instances/{id}/transitions");
        let escalate = json!({"to": "retention_offer", "expected_version": 1});
        let resolve = json!({"to": "saved", "expected_version": 1});
        let (a, b) = tokio::join!(
            app.post(&path, &escalate),
            app.post_as(&support, &path, &resolve)
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let (winner, loser) = if a.status() == 200 { (a, b) } else { (b, a) };
        let winner: Value = expect_status(winner, 200).await;
        expect_problem(loser, 409, "version_conflict").await;
        let now = instance(&app, id).await;
        assert_eq!(now["version"], 2);
        assert_eq!(now["current_step"], winner["current_step"]);
        let events = app
            .list_all(&format!("/workflow-instances/{id}/events"))
            .await;
        assert_eq!(events.len(), 2, "one started and one transitioned event");
    }
}

/// Two writers that both read version 1 and both pass the version check in
/// memory: only the conditional UPDATE can stop the second, so this holds
/// however the two interleave (run one after the other, they would both
/// pass a check made only on what was read).
async fn stale_reads_cannot_both_transition(backend: Backend) {
    use rapport_api::entities::workflow_instance;
    use rapport_api::workflows::engine::{self, Change, NewEvent, Pinned};
    use sea_orm::EntityTrait;

    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let started = start(&app, "churn-save").await;
    let id: uuid::Uuid = started["id"].as_str().unwrap().parse().unwrap();
    let db = people::db(&app).await;
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
    let now = instance(&app, &id.to_string()).await;
    assert_eq!(now["version"], 2);
    let events = app
        .list_all(&format!("/workflow-instances/{id}/events"))
        .await;
    assert_eq!(events.len(), 2, "one started and one transitioned event");
}

async fn sla_breach_is_recorded_once(backend: Backend) {
    let app = spawn_app_with(backend, &["--sla-check-interval-ms", "100"]).await;
    let mut fast = serde_json::to_value(rapport_api::workflows::demo::churn_save()).unwrap();
    fast["steps"][0]["sla_hours"] = json!(0.0002); // 0.72 s
    app.create("/workflows", &fast).await;
    let started = start(&app, "churn-save").await;
    let id = started["id"].as_str().unwrap();
    assert_eq!(started["overdue"], false);
    let events_path = format!("/workflow-instances/{id}/events");
    let mut breached = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        breached = app.list_all(&events_path).await;
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
    let events = app.list_all(&events_path).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["kind"] == "sla_breached")
            .count(),
        1
    );
    let now = instance(&app, id).await;
    assert_eq!(now["overdue"], true);
    assert!(now["sla_breached_at"].is_string());
    assert_eq!(now["version"], 1, "the breach does not bump the version");
    assert_eq!(app.count("/workflow-instances?overdue=true").await, 1);

    // The next step has its own, longer SLA.
    let moved = expect_status(
        app.post(
            &format!("/workflow-instances/{id}/transitions"),
            &json!({"to": "retention_offer", "expected_version": 1}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["overdue"], false);
    assert!(moved["sla_breached_at"].is_null());
    assert_eq!(app.count("/workflow-instances?overdue=true").await, 0);
}

crate::on_every_backend!(
    concurrent_transitions_have_one_winner,
    stale_reads_cannot_both_transition,
    sla_breach_is_recorded_once
);
