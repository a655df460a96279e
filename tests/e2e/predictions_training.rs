//! Engines, training jobs and model activation through the real API, on this
//! replica and on another one.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    Backend, CUSTOMERS, ITEMS, expect_problem, expect_status, spawn_app, spawn_app_with,
    spawn_replica,
};

async fn engines_are_listed_with_typed_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    let engines = app.engines().await;
    let names: Vec<&str> = engines
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for name in [
        "popularity",
        "item_item",
        "user_user",
        "ease",
        "content",
        "logistic",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    // Defaults are typed like their parameters.
    let item_item = engines.iter().find(|e| e["name"] == "item_item").unwrap();
    let param = |name: &str| {
        item_item["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}: {item_item}"))
            .clone()
    };
    assert_eq!(param("neighbours")["type"], "int");
    assert_eq!(param("neighbours")["default"], 50);
    assert_eq!(param("shrinkage")["default"], 0.0);
    assert_eq!(param("binary")["default"], false);
    assert_eq!(param("similarity")["default"], "cosine");
}

async fn bad_training_requests_queue_nothing_and_retries_queue_once(backend: Backend) {
    let app = spawn_app(backend).await;
    expect_problem(
        app.post("/engines/teleport/train", &json!({})).await,
        404,
        "not_found",
    )
    .await;
    for params in [
        json!({"neighbours": -3}),
        json!({"bogus": 1}),
        json!({"neighbours": "many"}),
    ] {
        let response = app
            .post("/engines/item_item/train", &json!({"params": params}))
            .await;
        expect_problem(response, 422, "validation_failed").await;
    }
    let malformed = app
        .post_raw(
            "/engines/item_item/train",
            "application/json",
            b"{\"params\":".to_vec(),
        )
        .await;
    expect_problem(malformed, 400, "malformed_json").await;
    assert_eq!(app.count("/jobs").await, 0);

    // A retried request with one Idempotency-Key queues one job.
    let retry = async || {
        let response = app
            .post_once(
                &app.token,
                "/engines/popularity/train",
                "train-1",
                &json!({}),
            )
            .await;
        expect_status(response, 202).await
    };
    let (a, b) = (retry().await, retry().await);
    assert_eq!(a["job_id"], b["job_id"]);
    assert_eq!(app.count("/jobs").await, 1);
}

/// A user's share of the training queue is bounded (parallel requests
/// included), and parameters that imply more memory than the budget are
/// refused with the estimate before anything is queued.
async fn training_requests_are_bounded_by_queue_share_and_memory(backend: Backend) {
    let flags = [
        "--no-worker",
        "--training-jobs-per-user",
        "2",
        "--training-memory-mib",
        "1024",
    ];
    let app = spawn_app_with(backend, &flags).await;
    // EASE's default (10,000 items: about 1,526 MiB) is over 1 GiB.
    for params in [json!({}), json!({"max_items": 100_000})] {
        let refused = app
            .post("/engines/ease/train", &json!({"params": params}))
            .await;
        let problem = expect_problem(refused, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "params");
        let message = problem["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("MiB") && message.contains("max_items"),
            "{message}"
        );
    }
    assert_eq!(app.count("/jobs").await, 0);

    let request = json!({"params": {"max_items": 5_000}});
    let attempts = (0..6).map(|_| app.post("/engines/ease/train", &request));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        4,
        "{statuses:?}"
    );
    let refused = app.post("/engines/popularity/train", &json!({})).await;
    assert!(refused.headers().contains_key("retry-after"));
    expect_problem(refused, 429, "rate_limited").await;
    // The share is per user: an analyst may still queue.
    let analyst = app.user("analyst", None).await;
    let queued = app
        .post_as(&analyst.token, "/engines/popularity/train", &json!({}))
        .await;
    assert_eq!(queued.status(), 202);
    assert_eq!(app.count("/jobs").await, 3);
}

async fn nothing_is_served_before_a_model_is_active(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = app.customer("Ada").await;
    // A clear 409, never a 500.
    for what in ["recommendations", "scores"] {
        expect_problem(
            app.get(&format!("/customers/{customer}/{what}")).await,
            409,
            "no_active_model",
        )
        .await;
    }
}

async fn a_trained_model_keeps_its_typed_params_until_activated(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalogue = app.seed_catalogue().await;
    let job = app
        .train("item_item", json!({"params": {"neighbours": 20}}))
        .await;
    let model_id = job["model_id"].as_str().unwrap().to_owned();
    let model = app.model(&model_id).await;
    assert_eq!(model["active"], false);
    assert_eq!(model["engine"], "item_item", "{model}");
    assert_eq!(model["data_stats"]["customers"], CUSTOMERS);
    assert_eq!(model["data_stats"]["items"], ITEMS);
    assert!(
        model["metrics"]["metrics"]["precision"].is_number(),
        "{model}"
    );
    assert_eq!(model["params"]["neighbours"], 20, "stored with its type");
    // Not active: not served.
    expect_problem(
        app.get(&format!(
            "/customers/{}/recommendations",
            catalogue.customers[1]
        ))
        .await,
        409,
        "no_active_model",
    )
    .await;

    app.activate_model(&model_id).await;
    let list = app.recommend(&catalogue.customers[4], "k=3").await;
    assert_eq!(list["engine"], "item_item");
    assert_eq!(list["model_id"], model_id.as_str());
    // `activate` in the request activates the model when it is trained.
    let popularity = app.train("popularity", json!({"activate": true})).await;
    let model = app.model(popularity["model_id"].as_str().unwrap()).await;
    assert_eq!(model["active"], true);
    assert_eq!(app.count("/models?active=true").await, 2);
}

async fn activation_reaches_other_replicas(backend: Backend) {
    let first = spawn_app(backend).await;
    let second = spawn_replica(&first).await;
    let catalogue = first.seed_catalogue().await;
    let one = first.train_and_activate("popularity", json!({})).await;
    let two = first
        .train("popularity", json!({"params": {"half_life_days": 30}}))
        .await;
    let wait_for = |model: String| {
        let second = &second;
        let customer = catalogue.customers[2].clone();
        async move {
            for _ in 0..100 {
                let response = second
                    .get(&format!(
                        "/customers/{customer}/recommendations?engine=popularity"
                    ))
                    .await;
                if response.status() == 200 {
                    let body: Value = response.json().await.unwrap();
                    if body["model_id"] == model.as_str() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("replica never served model {model}");
        }
    };
    wait_for(one).await;
    // Activate the second model through the first replica; the other follows,
    // and no request fails meanwhile.
    let second_model = two["model_id"].as_str().unwrap().to_owned();
    first.activate_model(&second_model).await;
    wait_for(second_model).await;
    let jobs = first.list_all("/jobs?status=succeeded").await;
    assert_eq!(jobs.len(), 2);
}

crate::on_every_backend!(
    training_requests_are_bounded_by_queue_share_and_memory,
    engines_are_listed_with_typed_defaults,
    bad_training_requests_queue_nothing_and_retries_queue_once,
    nothing_is_served_before_a_model_is_active,
    a_trained_model_keeps_its_typed_params_until_activated,
    activation_reaches_other_replicas,
);
