//! Automations: a rating of 1, a churn score crossing its threshold and a
//! lifecycle change start the churn-save workflow; every firing is a run.

use reqwest::Method;
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, expect_problem, expect_status, spawn_app};
use crate::people;
use crate::workflows::{customer, define_demo};

async fn open_churn_saves(app: &TestApp, customer: &str) -> Vec<Value> {
    app.list_all(&format!(
        "/workflow-instances?customer_id={customer}&workflow_key=churn-save&status=open"
    ))
    .await
}

async fn outcomes(app: &TestApp, automation: &Value) -> Vec<String> {
    let mut runs = app
        .list_all(&format!(
            "/automations/{}/runs?sort=created_at",
            automation["id"].as_str().unwrap()
        ))
        .await;
    runs.sort_by_key(|r| r["created_at"].as_str().unwrap().to_owned());
    runs.iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect()
}

async fn score(db: &DatabaseConnection, customer: &str, model: Uuid, probability: f64) {
    let txn = db.begin().await.unwrap();
    rapport_api::services::automations::on_score(
        &txn,
        customer.parse().unwrap(),
        model,
        probability,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

async fn low_rating_starts_churn_save(backend: Backend) {
    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let sales = people::add(&app, "sales", Some("sales")).await;
    let rule = json!({"name": "Unhappy customer", "when": {"type": "interaction", "kind": "rating", "max_rating": 1},
                      "then": {"workflow_key": "churn-save"}});
    expect_problem(
        app.post_as(&sales, "/automations", &rule).await,
        403,
        "forbidden",
    )
    .await;
    for (bad, field) in [
        (
            json!({"name": "x", "when": {"type": "interaction", "kind": "rating", "max_rating": 9},
                "then": {"workflow_key": "churn-save"}}),
            "when.max_rating",
        ),
        (
            json!({"name": "x", "when": {"type": "interaction", "kind": "rating"},
                "then": {"workflow_key": "nope"}}),
            "then.workflow_key",
        ),
        (
            json!({"name": "x", "when": {"type": "score", "threshold": 1.5},
                "then": {"workflow_key": "churn-save"}}),
            "when.threshold",
        ),
    ] {
        let problem = expect_problem(
            app.post("/automations", &bad).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field);
    }
    expect_problem(
        app.post(
            "/automations",
            &json!({"name": "x", "when": {"type": "weather"},
            "then": {"workflow_key": "churn-save"}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("/automations").await, 0);
    let automation = app.create("/automations", &rule).await;
    assert_eq!(automation["when"]["max_rating"], 1);

    let target = customer(&app, "Ada").await;
    let rating = |r: i64| json!({"customer_id": target, "kind": "rating", "rating": r});
    app.create("/interactions", &rating(3)).await;
    assert!(open_churn_saves(&app, &target).await.is_empty());
    app.create("/interactions", &rating(1)).await;
    let open = open_churn_saves(&app, &target).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["current_step"], "triage");
    assert!(open[0]["created_by"].is_null());
    // A second low rating while it is open is recorded as skipped; a batch fires too.
    expect_status(
        app.post(
            "/interactions/batch",
            &json!({"interactions": [rating(1), rating(5)]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(open_churn_saves(&app, &target).await.len(), 1);
    assert_eq!(outcomes(&app, &automation).await, ["started", "skipped"]);
    let events = app
        .list_all(&format!(
            "/workflow-instances/{}/events",
            open[0]["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        events[0]["comment"]
            .as_str()
            .unwrap()
            .contains("Unhappy customer")
    );

    // Inactive automations do not fire.
    let path = format!("/automations/{}", automation["id"].as_str().unwrap());
    let paused = expect_status(
        app.request(Method::PATCH, &path)
            .header("if-match", "\"1\"")
            .json(&json!({"active": false}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(paused["version"], 2);
    let audited = app.list_all("/audit-log?resource_type=automation").await;
    let actions: Vec<&str> = audited
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(actions.contains(&"automation.create") && actions.contains(&"automation.update"));
    let other = customer(&app, "Bob").await;
    app.create(
        "/interactions",
        &json!({"customer_id": other, "kind": "rating", "rating": 1}),
    )
    .await;
    assert!(open_churn_saves(&app, &other).await.is_empty());
}

async fn churn_score_crossing_starts_churn_save(backend: Backend) {
    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let db = people::db(&app).await;
    let support = people::add(&app, "support", Some("support")).await;
    let model = Uuid::now_v7();
    let automation = app
        .create(
            "/automations",
            &json!({"name": "Churn risk", "when": {"type": "score", "model_id": model, "threshold": 0.7},
                    "then": {"workflow_key": "churn-save", "assignee_id": support.id}}),
        )
        .await;
    let target = customer(&app, "Ada").await;
    score(&db, &target, model, 0.5).await;
    score(&db, &target, Uuid::now_v7(), 0.95).await; // another model
    assert!(open_churn_saves(&app, &target).await.is_empty());
    score(&db, &target, model, 0.8).await;
    let open = open_churn_saves(&app, &target).await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["assignee_id"], support.id.as_str());
    // Staying above is not a new crossing; dropping and rising again is.
    score(&db, &target, model, 0.9).await;
    assert_eq!(outcomes(&app, &automation).await, ["started"]);
    score(&db, &target, model, 0.2).await;
    score(&db, &target, model, 0.85).await;
    assert_eq!(outcomes(&app, &automation).await, ["started", "skipped"]);
    assert_eq!(open_churn_saves(&app, &target).await.len(), 1);
}

async fn lifecycle_change_starts_a_workflow(backend: Backend) {
    let app = spawn_app(backend).await;
    define_demo(&app).await;
    let automation = app
        .create(
            "/automations",
            &json!({"name": "Churned", "when": {"type": "lifecycle_stage", "to": "churned"},
                    "then": {"workflow_key": "churn-save"}}),
        )
        .await;
    let target = customer(&app, "Ada").await;
    let path = format!("/customers/{target}");
    expect_status(
        app.patch(&path, &json!({"lifecycle_stage": "customer"}))
            .await,
        200,
    )
    .await;
    assert!(open_churn_saves(&app, &target).await.is_empty());
    expect_status(
        app.patch(&path, &json!({"lifecycle_stage": "churned"}))
            .await,
        200,
    )
    .await;
    assert_eq!(open_churn_saves(&app, &target).await.len(), 1);
    expect_status(app.patch(&path, &json!({"name": "Ada L."})).await, 200).await;
    assert_eq!(outcomes(&app, &automation).await, ["started"]);
}

crate::on_every_backend!(
    low_rating_starts_churn_save,
    churn_score_crossing_starts_churn_save,
    lifecycle_change_starts_a_workflow,
);
