//! Tuning through the API (`POST /engines/{name}/tune`): the job, the trial
//! table and test metrics stored with the winner, and the promotion rule
//! taken (a poor active model is replaced) and refused (a winner no better
//! than the active model is stored but not activated).

use serde_json::{Value, json};

use std::time::Duration;

use crate::helpers::{
    Backend, TestApp, eventually, expect_problem, expect_status, spawn_app, spawn_app_with,
    spawn_replica_with,
};

/// Customers of [`seed_tastes`].
const CUSTOMERS: usize = 48;
/// Items of [`seed_tastes`], in four groups of six.
const ITEMS: usize = 24;

/// A log with enough history per customer for a validation part: customer
/// `c` buys five of the six items of group `c % 4` and views three others,
/// one a week apart.
async fn seed_tastes(app: &TestApp) {
    for i in 0..ITEMS {
        app.create_item(
            json!({"sku": format!("T-{i:02}"), "name": format!("Thing {i}"),
            "category": format!("g{}", i % 4)}),
        )
        .await;
    }
    let mut rows = Vec::new();
    for c in 0..CUSTOMERS {
        app.create_customer(
            json!({"name": format!("Taster {c}"), "external_id": format!("t-{c:02}")}),
        )
        .await;
        let group: Vec<usize> = (0..ITEMS).filter(|i| i % 4 == c % 4).collect();
        let mut items: Vec<(usize, &str)> = group
            .iter()
            .cycle()
            .skip(c % 6)
            .take(5)
            .map(|i| (*i, "purchase"))
            .collect();
        items.extend((0..3).map(|n| ((c * 7 + n * 5 + 1) % ITEMS, "view")));
        for (week, (item, kind)) in items.into_iter().enumerate() {
            rows.push(json!({"customer_external_id": format!("t-{c:02}"),
                "item_sku": format!("T-{item:02}"), "kind": kind,
                "occurred_at": format!("2026-{:02}-{:02}T10:00:00Z", 1 + week, 1 + c % 28)}));
        }
    }
    app.record_interactions(&rows).await;
}

/// Queues a tuning job with `body`, waits for it and returns it.
async fn tune(app: &TestApp, engine: &str, body: Value) -> Value {
    let response = app.post(&format!("/engines/{engine}/tune"), &body).await;
    let accepted = expect_status(response, 202).await;
    app.wait_for_job(accepted["job_id"].as_str().unwrap()).await
}

/// The active model of `engine`, if any.
async fn active(app: &TestApp, engine: &str) -> Option<String> {
    app.list_all(&format!("/models?engine={engine}"))
        .await
        .into_iter()
        .find(|m| m["active"] == true)
        .map(|m| m["id"].as_str().unwrap().to_owned())
}

async fn tuning_promotes_only_a_better_model(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_tastes(&app).await;
    // A poor incumbent: one neighbour per item.
    let poor = app
        .train_and_activate("item_item", json!({"neighbours": 1}))
        .await;

    let job = tune(
        &app,
        "item_item",
        json!({"trials": 5, "activate_if_better": true, "seed": 7}),
    )
    .await;
    assert_eq!(job["kind"], "tune", "{job}");
    let outcome = &job["outcome"];
    assert_eq!(outcome["activated"], true, "{job}");
    assert_eq!(outcome["decision"]["promote"], true, "{job}");
    let (candidate, baseline) = (
        outcome["decision"]["candidate"].as_f64().unwrap(),
        outcome["decision"]["baseline"].as_f64().unwrap(),
    );
    assert!(candidate >= baseline * 1.01, "{outcome}");
    let tuned = job["model_id"].as_str().unwrap().to_owned();
    assert_eq!(
        active(&app, "item_item").await.as_deref(),
        Some(tuned.as_str())
    );
    assert_ne!(tuned, poor);

    let model = app.model(&tuned).await;
    let tuning = &model["metrics"]["tuning"];
    let trials = tuning["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 5, "{tuning}");
    assert!(
        trials.iter().all(|t| t["engine"] == "item_item"),
        "{tuning}"
    );
    assert!(
        tuning["validation"]["ndcg"].as_f64().unwrap() > 0.0,
        "{tuning}"
    );
    assert_eq!(tuning["baseline"]["params"]["neighbours"], "1", "{tuning}");
    // The test metrics are the keys every trained model has.
    for key in ["precision", "recall", "ndcg", "map", "coverage"] {
        assert!(
            model["metrics"]["metrics"][key].is_number(),
            "{key}: {model}"
        );
    }
    assert_eq!(model["engine"], "item_item");

    // The same search again finds the same winner, which is no better than
    // itself: stored, not activated, and the job says why.
    let again = tune(
        &app,
        "item_item",
        json!({"trials": 5, "activate_if_better": true, "seed": 7}),
    )
    .await;
    assert_eq!(again["outcome"]["activated"], false, "{again}");
    assert_eq!(again["outcome"]["decision"]["promote"], false, "{again}");
    assert!(
        again["outcome"]["decision"]["reason"]
            .as_str()
            .unwrap()
            .len()
            > 10
    );
    assert_eq!(
        active(&app, "item_item").await.as_deref(),
        Some(tuned.as_str())
    );
    let second = app.model(again["model_id"].as_str().unwrap()).await;
    assert_eq!(second["active"], false);
    assert_eq!(
        trials_without_times(&second),
        trials_without_times(&model),
        "a seeded search gives the same trials twice"
    );
}

/// A tuned model's trial table without the fit times, which vary.
fn trials_without_times(model: &Value) -> Vec<Value> {
    let trials = model["metrics"]["tuning"]["trials"].as_array().unwrap();
    trials
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.as_object_mut().unwrap().remove("fit_secs");
            t
        })
        .collect()
}

async fn auto_searches_every_recommender(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_tastes(&app).await;
    let job = tune(&app, "auto", json!({"trials": 6})).await;
    assert_eq!(job["engine"], "auto");
    assert_eq!(
        job["outcome"]["activated"], false,
        "not asked to activate: {job}"
    );
    let model = app.model(job["model_id"].as_str().unwrap()).await;
    let trials = model["metrics"]["tuning"]["trials"].as_array().unwrap();
    let mut engines: Vec<&str> = trials
        .iter()
        .map(|t| t["engine"].as_str().unwrap())
        .collect();
    engines.sort_unstable();
    engines.dedup();
    assert!(engines.len() >= 5, "{engines:?}");
    assert!(
        !engines.contains(&"content"),
        "no item text to learn from: {engines:?}"
    );
    assert_eq!(
        model["engine"],
        model["metrics"]["tuning"]["winner"]["engine"]
    );
}

async fn tuning_requests_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    // The ranges searched are published with each engine.
    let engines = app.engines().await;
    let ease = engines.iter().find(|e| e["name"] == "ease").unwrap();
    let lambda = ease["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "lambda")
        .unwrap();
    assert_eq!(lambda["search"]["distribution"], "log_uniform", "{lambda}");
    let seed = engines.iter().find(|e| e["name"] == "als").unwrap()["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "seed")
        .unwrap()
        .clone();
    assert!(
        seed.get("search").is_none(),
        "an operational parameter is not searched: {seed}"
    );
    for (engine, body) in [
        ("item_item", json!({"trials": 0})),
        ("item_item", json!({"trials": 201})),
        ("item_item", json!({"metric": "auc"})),
        ("item_item", json!({"margin": 2})),
        ("item_item", json!({"bogus": 1})),
        ("logistic", json!({})),
    ] {
        let response = app.post(&format!("/engines/{engine}/tune"), &body).await;
        expect_problem(response, 422, "validation_failed").await;
    }
    expect_problem(
        app.post("/engines/nope/tune", &json!({})).await,
        404,
        "not_found",
    )
    .await;
    let sales = app.user("sales", None).await;
    let response = app
        .post_as(&sales.token, "/engines/auto/tune", &json!({}))
        .await;
    expect_status(response, 403).await;
    assert!(app.list_all("/jobs").await.is_empty(), "nothing was queued");
}

/// With `RAPPORT_TUNE_EVERY`, a search of every recommender is queued once
/// per period, however many replicas run the schedule: the one queued at
/// start, before there is data, fails with the reason; the next one runs.
async fn scheduled_tuning_runs_once_per_period(backend: Backend) {
    let flags = ["--tune-every", "5s", "--tune-trials", "3"];
    let app = spawn_app_with(backend, &flags).await;
    let replica = spawn_replica_with(&app, &flags).await;
    seed_tastes(&app).await;
    let scheduled = async || -> Vec<Value> {
        let mut jobs: Vec<Value> = app
            .list_all("/jobs")
            .await
            .into_iter()
            .filter(|j| j["kind"] == "tune")
            .collect();
        jobs.sort_by_key(|j| j["created_at"].as_str().unwrap().to_owned());
        jobs
    };
    eventually(
        "a scheduled search succeeds",
        Duration::from_secs(60),
        async || scheduled().await.iter().any(|j| j["status"] == "succeeded"),
    )
    .await;
    let jobs = scheduled().await;
    let first = &jobs[0];
    assert_eq!(first["status"], "failed", "{first}");
    assert!(
        first["error"].as_str().unwrap().contains("interactions"),
        "{first}"
    );
    let done = jobs.iter().find(|j| j["status"] == "succeeded").unwrap();
    assert_eq!(done["engine"], "auto", "{done}");
    assert_eq!(done["activate"], true, "{done}");
    assert_eq!(done["params"]["trials"], 3, "{done}");
    assert_eq!(done["params"]["baseline_engine"], "item_item", "{done}");
    assert_eq!(
        done["outcome"]["activated"], true,
        "nothing was active: {done}"
    );
    let created: Vec<chrono::DateTime<chrono::Utc>> = jobs
        .iter()
        .map(|j| j["created_at"].as_str().unwrap().parse().unwrap())
        .collect();
    for pair in created.windows(2) {
        assert!(
            pair[1] - pair[0] >= chrono::TimeDelta::seconds(5),
            "{created:?}"
        );
    }
    drop(replica);
}

crate::on_every_backend!(
    scheduled_tuning_runs_once_per_period,
    tuning_promotes_only_a_better_model,
    auto_searches_every_recommender,
    tuning_requests_are_checked,
);
