//! An instance's timeline, reassignment, comments, cancellation, idempotent
//! start and the list filters (`department=mine`, status, assignee, overdue).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, expect_problem, expect_status, spawn_app};
use crate::people::{self, Person};
use crate::workflows::{customer, define_demo};

async fn timeline_reassignment_comments_and_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let first = people::add(&app, "support", Some("support")).await;
    let second = people::add(&app, "support", Some("support")).await;
    let sales = people::add(&app, "sales", Some("sales")).await;
    let target = customer(&app, "Ada").await;
    let body = json!({"workflow_key": "churn-save", "customer_id": target,
                      "assignee_id": first.id, "note": "angry call"});
    let send = || {
        app.as_person(&first, Method::POST, "/workflow-instances")
            .header("idempotency-key", "start-1")
            .json(&body)
            .send()
    };
    let started = expect_status(send().await.unwrap(), 201).await;
    let replay = expect_status(send().await.unwrap(), 201).await;
    assert_eq!(replay["id"], started["id"]);
    expect_problem(
        app.post(
            "/workflow-instances",
            &json!({"workflow_key": "churn-save", "customer_id": target}),
        )
        .await,
        409,
        "workflow_already_open",
    )
    .await;
    assert_eq!(started["assignee_id"], first.id.as_str());
    assert!(started["due_at"].is_string());
    assert_eq!(started["overdue"], false);
    let id = started["id"].as_str().unwrap();

    let assign = format!("/workflow-instances/{id}/assignment");
    expect_problem(
        app.post_as(
            &first,
            &assign,
            &json!({"assignee_id": sales.id, "expected_version": 1}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let reassigned = expect_status(
        app.post_as(
            &first,
            &assign,
            &json!({"assignee_id": second.id, "expected_version": 1, "comment": "on leave"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(reassigned["assignee_id"], second.id.as_str());
    assert_eq!(reassigned["version"], 2);
    let comments = format!("/workflow-instances/{id}/comments");
    expect_status(
        app.post_as(&sales, &comments, &json!({"comment": "we can offer 10%"}))
            .await,
        201,
    )
    .await;
    expect_problem(
        app.post_as(&sales, &comments, &json!({"comment": " "}))
            .await,
        422,
        "validation_failed",
    )
    .await;

    // Filters, as each department sees them.
    let mine = |p: &Person| {
        app.as_person(p, Method::GET, "/workflow-instances?department=mine")
            .send()
    };
    let page = expect_status(mine(&second).await.unwrap(), 200).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    let page = expect_status(mine(&sales).await.unwrap(), 200).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 0);
    expect_problem(
        app.get("/workflow-instances?department=mine").await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.get("/workflow-instances?status=paused").await,
        400,
        "invalid_query",
    )
    .await;
    assert_eq!(
        app.count(&format!("/workflow-instances?assignee_id={}", second.id))
            .await,
        1
    );
    assert_eq!(
        app.count(&format!("/workflow-instances?customer_id={target}"))
            .await,
        1
    );
    assert_eq!(
        app.count("/workflow-instances?status=open&overdue=false")
            .await,
        1
    );
    assert_eq!(app.count("/workflow-instances?overdue=true").await, 0);

    let moved = expect_status(
        app.post_as(
            &second,
            &format!("/workflow-instances/{id}/transitions"),
            &json!({"to": "retention_offer", "expected_version": 2, "comment": "needs an offer",
                    "assignee_id": sales.id}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["assignee_id"], sales.id.as_str());
    let page = expect_status(mine(&sales).await.unwrap(), 200).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.count("/workflow-instances?department=support").await, 0);

    let events = app
        .list_all(&format!("/workflow-instances/{id}/events"))
        .await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["started", "assigned", "commented", "transitioned"]);
    assert_eq!(events[0]["comment"], "angry call");
    assert_eq!(events[0]["actor_id"], first.id.as_str());
    assert_eq!(events[1]["assignee_id"], second.id.as_str());
    assert_eq!(events[2]["actor_id"], sales.id.as_str());
    assert_eq!(events[3]["from_step"], "triage");
    assert_eq!(events[3]["to_step"], "retention_offer");
    assert_eq!(events[3]["comment"], "needs an offer");

    let cancelled = expect_status(
        app.post(
            &format!("/workflow-instances/{id}/cancel"),
            &json!({"expected_version": 3}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(app.count("/workflow-instances?status=cancelled").await, 1);
    assert_eq!(app.count("/workflow-instances?status=open").await, 0);
}

crate::on_every_backend!(timeline_reassignment_comments_and_filters);
