//! Engines, training jobs, models and predictions through the real API.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, eventually, expect_problem, expect_status, spawn_app, spawn_replica,
};

/// A small catalogue with taste structure: customer `c` likes the items of
/// group `c % 3`, and every third customer churned (fewer purchases, low ratings).
pub(crate) async fn seed(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let mut items = Vec::new();
    for i in 0..12 {
        let body = json!({"sku": format!("SKU-{i:02}"), "name": format!("Item {i}"),
            "category": format!("group-{}", i % 3), "description": format!("a fine item of group {}", i % 3),
            "price": 10 + i});
        items.push(
            app.create("/items", &body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut customers = Vec::new();
    let mut rows = Vec::new();
    for c in 0..30 {
        let churned = c % 3 == 0;
        let body = json!({"name": format!("Customer {c}"), "external_id": format!("c-{c:02}"),
            "attributes": {"tenure_months": (c * 7) % 48 + 1, "contract": if c % 2 == 0 { "monthly" } else { "yearly" },
                           "churn": if churned { "Yes" } else { "No" }}});
        customers.push(
            app.create("/customers", &body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        for (n, i) in (0..12).filter(|i| i % 3 == c % 3).enumerate() {
            if (c + n) % 4 == 3 {
                continue;
            }
            rows.push(json!({"customer_external_id": format!("c-{c:02}"), "item_sku": format!("SKU-{i:02}"),
                "kind": if churned { "view" } else { "purchase" }, "value": 12.5,
                "occurred_at": format!("2026-0{}-1{}T10:00:00Z", 1 + n % 8, c % 10)}));
        }
        rows.push(
            json!({"customer_external_id": format!("c-{c:02}"), "kind": "rating",
            "item_sku": format!("SKU-{:02}", c % 3), "rating": if churned { 1 } else { 5 },
            "occurred_at": "2026-09-01T10:00:00Z"}),
        );
    }
    expect_status(
        app.post("/interactions/batch", &json!({"interactions": rows}))
            .await,
        201,
    )
    .await;
    (customers, items)
}

/// Queues a training job and waits for it; returns the finished job.
pub(crate) async fn train(app: &TestApp, engine: &str, body: Value) -> Value {
    let response = app.post(&format!("/engines/{engine}/train"), &body).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted = expect_status(response, 202).await;
    let job_id = accepted["job_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/jobs/{job_id}"));
    for _ in 0..600 {
        let job = expect_status(app.get(&format!("/jobs/{job_id}")).await, 200).await;
        match job["status"].as_str().unwrap() {
            "succeeded" => return job,
            "failed" => panic!("training {engine} failed: {job}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("training {engine} did not finish in time");
}

async fn recommend(app: &TestApp, customer: &str, query: &str) -> Value {
    expect_status(
        app.get(&format!("/customers/{customer}/recommendations?{query}"))
            .await,
        200,
    )
    .await
}

async fn train_recommend_and_explain(backend: Backend) {
    let app = spawn_app(backend).await;
    let engines = expect_status(app.get("/engines").await, 200).await;
    let names: Vec<&str> = engines
        .as_array()
        .unwrap()
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
    let item_item = engines
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "item_item")
        .unwrap();
    let param = |name: &str| {
        item_item["params"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(param("neighbours")["type"], "int");
    assert_eq!(param("neighbours")["default"], 50);
    assert_eq!(param("shrinkage")["default"], 0.0);
    assert_eq!(param("binary")["default"], false);
    assert_eq!(param("similarity")["default"], "cosine");

    let (customers, items) = seed(&app).await;
    // Nothing active yet: a clear 409, never a 500.
    expect_problem(
        app.get(&format!("/customers/{}/recommendations", customers[1]))
            .await,
        409,
        "no_active_model",
    )
    .await;
    expect_problem(
        app.get(&format!("/customers/{}/scores", customers[1]))
            .await,
        409,
        "no_active_model",
    )
    .await;
    // Bad training requests change nothing.
    expect_problem(
        app.post("/engines/teleport/train", &json!({})).await,
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.post(
            "/engines/item_item/train",
            &json!({"params": {"neighbours": -3}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.post("/engines/item_item/train", &json!({"params": {"bogus": 1}}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let malformed = app
        .request(Method::POST, "/engines/item_item/train")
        .header("content-type", "application/json")
        .body("{\"params\":")
        .send()
        .await
        .unwrap();
    expect_problem(malformed, 400, "malformed_json").await;
    let wrong_type = app
        .post(
            "/engines/item_item/train",
            &json!({"params": {"neighbours": "many"}}),
        )
        .await;
    expect_problem(wrong_type, 422, "validation_failed").await;
    assert_eq!(app.count("/jobs").await, 0);

    let job = train(&app, "item_item", json!({"params": {"neighbours": 20}})).await;
    let model_id = job["model_id"].as_str().unwrap().to_owned();
    let model = expect_status(app.get(&format!("/models/{model_id}")).await, 200).await;
    assert_eq!(model["active"], false);
    assert_eq!(model["data_stats"]["customers"], 30);
    assert_eq!(model["data_stats"]["items"], 12);
    assert!(
        model["metrics"]["metrics"]["precision"].is_number(),
        "{model}"
    );
    assert_eq!(model["params"]["neighbours"], 20, "stored with its type");
    let activated = expect_status(
        app.post(&format!("/models/{model_id}/activate"), &json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(activated["active"], true);
    train(&app, "popularity", json!({"activate": true})).await;
    assert_eq!(app.count("/models?active=true").await, 2);

    // A known customer gets unseen items of their group, with named reasons.
    let customer = &customers[4]; // group 1
    let list = recommend(&app, customer, "k=3").await;
    assert_eq!(list["engine"], "item_item");
    assert_eq!(list["model_id"], model_id.as_str());
    assert_eq!(list["fallback"], Value::Null);
    let timeline = app
        .list_all(&format!("/customers/{customer}/interactions"))
        .await;
    let seen: Vec<&str> = timeline
        .iter()
        .filter_map(|r| r["item_id"].as_str())
        .collect();
    let recommended = list["items"].as_array().unwrap();
    assert!(!recommended.is_empty(), "{list}");
    for entry in recommended {
        assert!(
            !seen.contains(&entry["item_id"].as_str().unwrap()),
            "seen item recommended: {list}"
        );
        assert!(!entry["reasons"].as_array().unwrap().is_empty(), "{list}");
        assert!(
            entry["reasons"][0]["name"]
                .as_str()
                .unwrap()
                .starts_with("Item ")
        );
    }
    let top = recommended[0]["item_id"].as_str().unwrap().to_owned();
    assert_eq!(
        recommended[0]["name"]
            .as_str()
            .unwrap()
            .trim_start_matches("Item ")
            .parse::<usize>()
            .unwrap()
            % 3,
        1
    );

    // New interactions count at once; inactive items never come back.
    app.create(
        "/interactions",
        &json!({"customer_id": customer, "item_id": top, "kind": "view"}),
    )
    .await;
    let after = recommend(&app, customer, "k=12").await;
    assert!(
        after["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["item_id"] != top.as_str())
    );
    let everything = recommend(&app, customer, "k=12&exclude_seen=false").await;
    assert!(
        everything["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["item_id"] == top.as_str())
    );
    let second = everything["items"][1]["item_id"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_status(
        app.patch(&format!("/items/{second}"), &json!({"active": false}))
            .await,
        200,
    )
    .await;
    let without = recommend(&app, customer, "k=12&exclude_seen=false").await;
    assert!(!without["items"].as_array().unwrap().is_empty());
    assert!(
        without["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["item_id"] != second.as_str())
    );

    // A customer the model never saw gets the popularity list, marked as such.
    let cold = app.create("/customers", &json!({"name": "Newcomer"})).await;
    let fallback = recommend(&app, cold["id"].as_str().unwrap(), "k=5").await;
    assert_eq!(fallback["fallback"], "popularity");
    assert_eq!(fallback["engine"], "popularity");
    assert_eq!(fallback["items"].as_array().unwrap().len(), 5);

    let similar = expect_status(
        app.get(&format!("/items/{}/similar?k=2", items[0])).await,
        200,
    )
    .await;
    assert!(
        similar["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["item_id"] != items[0].as_str())
    );
    expect_problem(
        app.get(&format!("/customers/{customer}/recommendations?k=0"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.get(&format!(
            "/customers/{customer}/recommendations?engine=nope"
        ))
        .await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.get(&format!(
            "/customers/{customer}/recommendations?engine=ease"
        ))
        .await,
        409,
        "no_active_model",
    )
    .await;

    // Scores: contributions plus the intercept are the logit.
    let job = train(
        &app,
        "logistic",
        json!({"params": {"label": "churn=Yes", "c": 1.0}, "activate": true}),
    )
    .await;
    let scored = expect_status(
        app.get(&format!("/customers/{}/scores", customers[0]))
            .await,
        200,
    )
    .await;
    let score = &scored["scores"][0];
    assert_eq!(score["model_id"], job["model_id"]);
    assert_eq!(score["label"], "churn=Yes");
    let factors = score["factors"].as_array().unwrap();
    assert!(factors.iter().any(|f| f["feature"] == "tenure_months"));
    let sum: f64 = factors
        .iter()
        .map(|f| f["contribution"].as_f64().unwrap())
        .sum::<f64>()
        + score["intercept"].as_f64().unwrap();
    let logit = score["logit"].as_f64().unwrap();
    assert!((sum - logit).abs() < 1e-9, "{sum} vs {logit}");
    let probability = score["probability"].as_f64().unwrap();
    assert!((probability - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-12);
    let churner = probability;
    let stayer = expect_status(
        app.get(&format!("/customers/{}/scores", customers[1]))
            .await,
        200,
    )
    .await["scores"][0]["probability"]
        .as_f64()
        .unwrap();
    assert!(churner > stayer, "churner {churner} <= stayer {stayer}");

    // A churn-score automation fires when batch scoring sees the threshold crossed.
    crate::workflows::define_demo(&app).await;
    assert!(churner > 0.5, "the churner scores {churner}");
    let rule = json!({"name": "Churn risk", "when": {"type": "score", "threshold": 0.5},
                      "then": {"workflow_key": "churn-save"}});
    app.create("/automations", &rule).await;
    let churner_id = &customers[0];
    let open =
        format!("/workflow-instances?customer_id={churner_id}&workflow_key=churn-save&status=open");
    assert_eq!(app.count(&open).await, 0);
    expect_status(
        app.post(
            "/scores/batch",
            &json!({"customer_ids": [churner_id, customers[1]]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(app.count(&open).await, 1);
    let stayer_open = format!(
        "/workflow-instances?customer_id={}&workflow_key=churn-save",
        customers[1]
    );
    assert_eq!(app.count(&stayer_open).await, 0);

    let unknown = uuid::Uuid::now_v7().to_string();
    let batch = expect_status(
        app.post(
            "/scores/batch",
            &json!({"customer_ids": [customers[0], customers[1], unknown]}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(batch["data"].as_array().unwrap().len(), 2);
    assert_eq!(batch["not_found"], json!([unknown]));
    expect_problem(
        app.post("/scores/batch", &json!({"customer_ids": []}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let too_many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    expect_problem(
        app.post("/scores/batch", &json!({"customer_ids": too_many}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

async fn activation_reaches_other_replicas(backend: Backend) {
    let first = spawn_app(backend).await;
    let second = spawn_replica(&first).await;
    let (customers, _) = seed(&first).await;
    let one = train(&first, "popularity", json!({"activate": true})).await;
    let two = train(
        &first,
        "popularity",
        json!({"params": {"half_life_days": 30}}),
    )
    .await;
    let wait_for = |model: String| {
        let second = &second;
        let customer = customers[2].clone();
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
    wait_for(one["model_id"].as_str().unwrap().to_owned()).await;
    // Activate the second model through the first replica; the other follows,
    // and no request fails meanwhile.
    let second_model = two["model_id"].as_str().unwrap().to_owned();
    expect_status(
        first
            .post(&format!("/models/{second_model}/activate"), &json!({}))
            .await,
        200,
    )
    .await;
    wait_for(second_model).await;
    let jobs = first.list_all("/jobs?status=succeeded").await;
    assert_eq!(jobs.len(), 2);
    let idempotent = |key: &'static str| {
        first
            .request(Method::POST, "/engines/popularity/train")
            .header("Idempotency-Key", key)
            .json(&json!({}))
            .send()
    };
    let a = expect_status(idempotent("train-1").await.unwrap(), 202).await;
    let b = expect_status(idempotent("train-1").await.unwrap(), 202).await;
    assert_eq!(a["job_id"], b["job_id"]);
}

/// Item ids of a recommendation list.
fn listed(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Serving keeps items, customers, recent interactions and users in memory:
/// a change made through one replica takes effect there at once, and on the
/// other within a model poll (1 s in tests; a user within a second).
async fn replicas_follow_changes_made_elsewhere(backend: Backend) {
    const WITHIN: Duration = Duration::from_secs(10);
    let first = spawn_app(backend).await;
    let (customers, _) = seed(&first).await;
    let job = train(&first, "popularity", json!({"activate": true})).await;
    let second = spawn_replica(&first).await;
    let customer = customers[5].clone();
    let query = "k=12&engine=popularity";
    let path = format!("/customers/{customer}/recommendations?{query}");
    let before = recommend(&second, &customer, query).await;
    assert_eq!(before["model_id"], job["model_id"]);
    let before = listed(&before);
    assert!(before.len() >= 2, "{before:?}");
    let (bought, retired) = (before[0].clone(), before[1].clone());

    // A purchase and a retired item, through the first replica.
    first
        .create(
            "/interactions",
            &json!({"customer_id": customer, "item_id": bought, "kind": "purchase"}),
        )
        .await;
    expect_status(
        first
            .patch(&format!("/items/{retired}"), &json!({"active": false}))
            .await,
        200,
    )
    .await;
    let here = listed(&recommend(&first, &customer, query).await);
    assert!(
        !here.contains(&bought) && !here.contains(&retired),
        "{here:?}"
    );
    eventually("the other replica follows", WITHIN, async || {
        let there = listed(&recommend(&second, &customer, query).await);
        !there.contains(&bought) && !there.contains(&retired)
    })
    .await;

    // A deleted customer is gone at once here, soon there; and comes back.
    let response = first
        .request(Method::DELETE, &format!("/customers/{customer}"))
        .send()
        .await
        .unwrap();
    expect_status(response, 204).await;
    expect_problem(first.get(&path).await, 404, "not_found").await;
    eventually(
        "the deletion reaches the other replica",
        WITHIN,
        async || second.get(&path).await.status() == 404,
    )
    .await;
    let restore = format!("/customers/{customer}/restore");
    expect_status(first.post(&restore, &json!({})).await, 200).await;
    recommend(&first, &customer, query).await;
    eventually(
        "the restoration reaches the other replica",
        WITHIN,
        async || second.get(&path).await.status() == 200,
    )
    .await;

    // A deactivated user is refused at once here, soon there.
    let (user, token) = first.user("analyst", None).await;
    let as_user = |app: &TestApp| app.request_as(&token, Method::GET, &path).send();
    expect_status(as_user(&second).await.unwrap(), 200).await;
    let response = first
        .request(Method::DELETE, &format!("/users/{user}"))
        .send()
        .await
        .unwrap();
    expect_status(response, 204).await;
    expect_problem(as_user(&first).await.unwrap(), 401, "unauthorized").await;
    eventually(
        "the deactivation reaches the other replica",
        WITHIN,
        async || as_user(&second).await.unwrap().status() == 401,
    )
    .await;
}

crate::on_every_backend!(
    train_recommend_and_explain,
    activation_reaches_other_replicas,
    replicas_follow_changes_made_elsewhere
);
