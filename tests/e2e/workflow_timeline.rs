//! An instance's timeline, reassignment, comments, cancellation, idempotent
//! start and the list filters (`department=mine`, status, assignee, overdue).

use serde_json::{Value, json};

use crate::helpers::{Backend, Person, TestApp, expect_problem, expect_status, id_of, spawn_app};

/// Two support agents and a salesperson, and a customer whose churn-save
/// was started by the first agent (version 1, in triage).
struct Desk {
    first: Person,
    second: Person,
    sales: Person,
    customer: String,
    started: Value,
}

async fn desk(app: &TestApp) -> Desk {
    app.define_demo_workflows().await;
    let first = app.user("support", Some("support")).await;
    let second = app.user("support", Some("support")).await;
    let sales = app.user("sales", Some("sales")).await;
    let customer = app.customer("Ada").await;
    let body = json!({"workflow_key": "churn-save", "customer_id": customer,
                      "assignee_id": first.id, "note": "angry call"});
    let response = app
        .post_once(&first.token, "/workflow-instances", "start-1", &body)
        .await;
    let started = expect_status(response, 201).await;
    Desk {
        first,
        second,
        sales,
        customer,
        started,
    }
}

impl Desk {
    fn id(&self) -> String {
        id_of(&self.started)
    }

    /// The first agent hands the instance to the second (version 2).
    async fn reassign(&self, app: &TestApp) -> Value {
        let body = json!({"assignee_id": self.second.id, "expected_version": 1,
                          "comment": "on leave"});
        let path = format!("/workflow-instances/{}/assignment", self.id());
        expect_status(app.post_as(&self.first.token, &path, &body).await, 200).await
    }

    /// The second agent escalates to the sales step, for sales (version 3).
    async fn escalate(&self, app: &TestApp) -> Value {
        let body = json!({"to": "retention_offer", "expected_version": 2,
                          "comment": "needs an offer", "assignee_id": self.sales.id});
        let response = app
            .try_transition(&self.second.token, &self.id(), &body)
            .await;
        expect_status(response, 200).await
    }
}

async fn an_instance_starts_once_per_workflow_and_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let desk = desk(&app).await;
    let body = json!({"workflow_key": "churn-save", "customer_id": desk.customer,
                      "assignee_id": desk.first.id, "note": "angry call"});
    let replay = app
        .post_once(&desk.first.token, "/workflow-instances", "start-1", &body)
        .await;
    let replay = expect_status(replay, 201).await;
    assert_eq!(replay["id"], desk.started["id"]);
    expect_problem(
        app.post(
            "/workflow-instances",
            &json!({"workflow_key": "churn-save", "customer_id": desk.customer}),
        )
        .await,
        409,
        "workflow_already_open",
    )
    .await;
    assert_eq!(desk.started["assignee_id"], desk.first.id.as_str());
    assert!(desk.started["due_at"].is_string());
    assert_eq!(desk.started["overdue"], false);
    assert_eq!(app.count("/workflow-instances").await, 1);
}

async fn reassignment_comments_and_transitions_make_the_timeline(backend: Backend) {
    let app = spawn_app(backend).await;
    let desk = desk(&app).await;
    let id = desk.id();
    let assign = format!("/workflow-instances/{id}/assignment");
    // Only someone of the step's department may be assigned.
    let to_sales = json!({"assignee_id": desk.sales.id, "expected_version": 1});
    expect_problem(
        app.post_as(&desk.first.token, &assign, &to_sales).await,
        422,
        "validation_failed",
    )
    .await;
    let reassigned = desk.reassign(&app).await;
    assert_eq!(reassigned["assignee_id"], desk.second.id.as_str());
    assert_eq!(reassigned["version"], 2);
    let comments = format!("/workflow-instances/{id}/comments");
    let comment = json!({"comment": "we can offer 10%"});
    let response = app.post_as(&desk.sales.token, &comments, &comment).await;
    expect_status(response, 201).await;
    let blank = app
        .post_as(&desk.sales.token, &comments, &json!({"comment": " "}))
        .await;
    expect_problem(blank, 422, "validation_failed").await;
    let moved = desk.escalate(&app).await;
    assert_eq!(moved["assignee_id"], desk.sales.id.as_str());

    let events = app.instance_events(&id).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["started", "assigned", "commented", "transitioned"]);
    assert_eq!(events[0]["comment"], "angry call");
    assert_eq!(events[0]["actor_id"], desk.first.id.as_str());
    assert_eq!(events[1]["assignee_id"], desk.second.id.as_str());
    assert_eq!(events[2]["actor_id"], desk.sales.id.as_str());
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

async fn each_department_sees_its_own_instances(backend: Backend) {
    let app = spawn_app(backend).await;
    let desk = desk(&app).await;
    desk.reassign(&app).await;
    let mine = async |p: &Person| {
        let response = app
            .get_as(&p.token, "/workflow-instances?department=mine")
            .await;
        let page = expect_status(response, 200).await;
        page["data"].as_array().unwrap().len()
    };
    assert_eq!(mine(&desk.second).await, 1);
    assert_eq!(mine(&desk.sales).await, 0);
    // The admin has no department to call theirs.
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
    let second = &desk.second.id;
    assert_eq!(
        app.count(&format!("/workflow-instances?assignee_id={second}"))
            .await,
        1
    );
    let customer = &desk.customer;
    assert_eq!(
        app.count(&format!("/workflow-instances?customer_id={customer}"))
            .await,
        1
    );
    assert_eq!(
        app.count("/workflow-instances?status=open&overdue=false")
            .await,
        1
    );
    assert_eq!(app.count("/workflow-instances?overdue=true").await, 0);

    desk.escalate(&app).await;
    assert_eq!(mine(&desk.sales).await, 1);
    assert_eq!(mine(&desk.second).await, 0);
    assert_eq!(app.count("/workflow-instances?department=support").await, 0);
}

crate::on_every_backend!(
    an_instance_starts_once_per_workflow_and_customer,
    reassignment_comments_and_transitions_make_the_timeline,
    each_department_sees_its_own_instances,
);
