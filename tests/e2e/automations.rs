//! Automations: a rating of 1, a churn score crossing its threshold and a
//! lifecycle change start the churn-save workflow; every firing is a run.

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, expect_problem, id_of, spawn_app};

/// Starts churn-save on a rating of 1 or less.
fn unhappy_customer() -> Value {
    json!({"name": "Unhappy customer",
           "when": {"type": "interaction", "kind": "rating", "max_rating": 1},
           "then": {"workflow_key": "churn-save"}})
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

async fn automations_are_validated_and_defined_by_managers(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let sales = app.user("sales", Some("sales")).await;
    expect_problem(
        app.post_as(&sales.token, "/automations", &unhappy_customer())
            .await,
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
    let weather = json!({"name": "x", "when": {"type": "weather"},
                         "then": {"workflow_key": "churn-save"}});
    expect_problem(
        app.post("/automations", &weather).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("/automations").await, 0);
    let automation = app.create_automation(unhappy_customer()).await;
    assert_eq!(automation["when"]["max_rating"], 1);
    assert_eq!(app.count("/automations").await, 1);
}

async fn a_low_rating_starts_churn_save_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let automation = app.create_automation(unhappy_customer()).await;
    let target = app.customer("Ada").await;
    let rating = |r: i64| json!({"customer_id": target, "kind": "rating", "rating": r});
    app.record_interaction(rating(3)).await;
    assert!(app.open_instances(&target, "churn-save").await.is_empty());
    app.record_interaction(rating(1)).await;
    let open = app.open_instances(&target, "churn-save").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["current_step"], "triage");
    assert!(open[0]["created_by"].is_null());
    // A second low rating while it is open is recorded as skipped; a batch fires too.
    app.record_interactions(&[rating(1), rating(5)]).await;
    assert_eq!(app.open_instances(&target, "churn-save").await.len(), 1);
    assert_eq!(
        app.automation_outcomes(&automation).await,
        ["started", "skipped"]
    );
    let events = app.instance_events(&id_of(&open[0])).await;
    assert!(
        events[0]["comment"]
            .as_str()
            .unwrap()
            .contains("Unhappy customer")
    );
}

async fn paused_automations_do_not_fire(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let automation = app.create_automation(unhappy_customer()).await;
    let path = format!("/automations/{}", id_of(&automation));
    let paused = crate::helpers::expect_status(
        app.send_if_match(
            reqwest::Method::PATCH,
            &path,
            "\"1\"",
            Some(&json!({"active": false})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(paused["version"], 2);
    assert_eq!(paused["active"], false);
    let actions = app.audited_actions("resource_type=automation").await;
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(actions.contains(&"automation.create".to_owned()));
    assert!(actions.contains(&"automation.update".to_owned()));
    let other = app.customer("Bob").await;
    app.record_interaction(json!({"customer_id": other, "kind": "rating", "rating": 1}))
        .await;
    assert!(app.open_instances(&other, "churn-save").await.is_empty());
    assert!(app.automation_outcomes(&automation).await.is_empty());
}

async fn churn_score_crossing_starts_churn_save(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let db = app.db().await;
    let support = app.user("support", Some("support")).await;
    let model = Uuid::now_v7();
    let automation = app
        .create_automation(json!({"name": "Churn risk",
            "when": {"type": "score", "model_id": model, "threshold": 0.7},
            "then": {"workflow_key": "churn-save", "assignee_id": support.id}}))
        .await;
    let target = app.customer("Ada").await;
    score(&db, &target, model, 0.5).await;
    score(&db, &target, Uuid::now_v7(), 0.95).await; // another model
    assert!(app.open_instances(&target, "churn-save").await.is_empty());
    score(&db, &target, model, 0.8).await;
    let open = app.open_instances(&target, "churn-save").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["assignee_id"], support.id.as_str());
    // Staying above is not a new crossing; dropping and rising again is.
    score(&db, &target, model, 0.9).await;
    assert_eq!(app.automation_outcomes(&automation).await, ["started"]);
    score(&db, &target, model, 0.2).await;
    score(&db, &target, model, 0.85).await;
    assert_eq!(
        app.automation_outcomes(&automation).await,
        ["started", "skipped"]
    );
    assert_eq!(app.open_instances(&target, "churn-save").await.len(), 1);
}

async fn lifecycle_change_starts_a_workflow(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let automation = app
        .create_automation(json!({"name": "Churned",
            "when": {"type": "lifecycle_stage", "to": "churned"},
            "then": {"workflow_key": "churn-save"}}))
        .await;
    let target = app.customer("Ada").await;
    app.update_customer(&target, json!({"lifecycle_stage": "customer"}))
        .await;
    assert!(app.open_instances(&target, "churn-save").await.is_empty());
    app.update_customer(&target, json!({"lifecycle_stage": "churned"}))
        .await;
    assert_eq!(app.open_instances(&target, "churn-save").await.len(), 1);
    app.update_customer(&target, json!({"name": "Ada L."}))
        .await;
    assert_eq!(app.automation_outcomes(&automation).await, ["started"]);
}

crate::on_every_backend!(
    automations_are_validated_and_defined_by_managers,
    a_low_rating_starts_churn_save_once,
    paused_automations_do_not_fire,
    churn_score_crossing_starts_churn_save,
    lifecycle_change_starts_a_workflow,
);
