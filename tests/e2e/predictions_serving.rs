//! What trained models serve: recommendations with reasons, the popularity
//! fallback, similar items, replicas that follow changes made elsewhere, and
//! churn scores (explained, batched; the score sweep starts the churn-save
//! automation).
//! Every test starts on a copy of the trained database (`spawn_trained`).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, eventually, expect_problem, listed, spawn_app, spawn_replica, spawn_trained,
    spawn_trained_with,
};

/// The number in an item's name (`Item 7` -> 7).
fn item_number(name: &Value) -> usize {
    name.as_str()
        .unwrap()
        .trim_start_matches("Item ")
        .parse()
        .unwrap()
}

async fn a_known_customer_gets_unseen_items_of_their_group_with_reasons(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customer = &trained.catalogue.customers[4]; // group 1
    let list = app.recommend(customer, "k=3").await;
    assert_eq!(list["engine"], "item_item");
    assert_eq!(list["model_id"], trained.item_item.as_str());
    assert_eq!(list["fallback"], Value::Null);
    let timeline = app.timeline(customer).await;
    let seen: Vec<&str> = timeline
        .iter()
        .filter_map(|r| r["item_id"].as_str())
        .collect();
    assert!(!seen.is_empty(), "the customer has a history");
    let recommended = list["items"].as_array().unwrap();
    assert!(!recommended.is_empty(), "{list}");
    assert!(recommended.len() <= 3, "{list}");
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
    assert_eq!(item_number(&recommended[0]["name"]) % 3, 1, "{list}");
}

async fn new_interactions_count_at_once_and_retired_items_never_come_back(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customer = &trained.catalogue.customers[4];
    let top = listed(&app.recommend(customer, "k=3").await)[0].clone();

    app.record_interaction(json!({"customer_id": customer, "item_id": top, "kind": "view"}))
        .await;
    let after = listed(&app.recommend(customer, "k=12").await);
    assert!(!after.contains(&top), "a seen item came back: {after:?}");
    let everything = listed(&app.recommend(customer, "k=12&exclude_seen=false").await);
    assert!(everything.contains(&top), "{everything:?}");

    let second = everything[1].clone();
    app.deactivate_item(&second).await;
    let without = listed(&app.recommend(customer, "k=12&exclude_seen=false").await);
    assert!(!without.is_empty());
    assert!(!without.contains(&second), "a retired item came back");
}

async fn a_newcomer_gets_the_popularity_fallback(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    // A customer the model never saw gets the popularity list, marked as such.
    let newcomer = app.customer("Newcomer").await;
    let fallback = app.recommend(&newcomer, "k=5").await;
    assert_eq!(fallback["fallback"], "popularity");
    assert_eq!(fallback["engine"], "popularity");
    assert_eq!(fallback["model_id"], trained.popularity.as_str());
    assert_eq!(fallback["items"].as_array().unwrap().len(), 5);

    // An item is never similar to itself.
    let item = &trained.catalogue.items[0];
    let similar = listed(&app.similar(item, "k=2").await);
    assert!(!similar.is_empty());
    assert!(!similar.contains(item), "{similar:?}");
}

/// With only `item_item` active, a customer it never saw still gets a list:
/// the time-decayed popularity list the model carries, marked as a fallback,
/// without what the customer did since.
async fn every_recommender_carries_its_own_fallback(backend: Backend) {
    let app = spawn_app(backend).await;
    let catalogue = app.seed_catalogue().await;
    let model_id = app.train_and_activate("item_item", json!({})).await;
    let model = app.model(&model_id).await;
    assert_eq!(
        model["metrics"]["fallback"],
        json!({"engine": "popularity", "half_life_days": 30}),
        "{model}"
    );

    let newcomer = app.customer("Newcomer").await;
    let list = app.recommend(&newcomer, "k=5").await;
    assert_eq!(list["fallback"], "popularity", "{list}");
    assert_eq!(list["engine"], "popularity");
    assert_eq!(list["model_id"], model_id.as_str());
    let first = listed(&list);
    assert_eq!(first.len(), 5, "{list}");
    app.record_interaction(json!({"customer_id": newcomer, "item_id": first[0], "kind": "view"}))
        .await;
    let after = listed(&app.recommend(&newcomer, "k=5").await);
    assert_eq!(after.len(), 5);
    assert!(
        !after.contains(&first[0]),
        "a seen item came back: {after:?}"
    );
    assert_eq!(
        after[..4],
        first[1..],
        "the rest of the list keeps its order"
    );

    let known = app.recommend(&catalogue.customers[4], "k=3").await;
    assert_eq!(known["fallback"], Value::Null, "{known}");
    assert_eq!(known["engine"], "item_item");
}

/// Request filters narrow the list, however far down the ranking the
/// admitted items are; bad filters are refused.
async fn filters_narrow_the_list(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customer = &trained.catalogue.customers[4]; // likes group 1
    let numbers = |list: &Value| -> Vec<usize> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| item_number(&i["name"]))
            .collect()
    };
    // item_item has no evidence for group 2 for this customer and lists
    // none; popularity lists them, however far down its ranking.
    let no_evidence = numbers(&app.recommend(customer, "k=3&category=group-2").await);
    assert!(no_evidence.is_empty(), "{no_evidence:?}");
    let query = "engine=popularity&exclude_seen=false&k=3&category=group-2";
    let other_group = numbers(&app.recommend(customer, query).await);
    assert_eq!(other_group.len(), 3, "{other_group:?}");
    assert!(other_group.iter().all(|n| n % 3 == 2), "{other_group:?}");
    // Prices are 10 + the item's number.
    let query = "engine=popularity&exclude_seen=false&k=12&min_price=15&max_price=18";
    let priced = numbers(&app.recommend(customer, query).await);
    assert_eq!(priced.len(), 4, "{priced:?}");
    assert!(priced.iter().all(|n| (5..=8).contains(n)), "{priced:?}");
    let popular = "engine=popularity&exclude_seen=false";
    let top = listed(&app.recommend(customer, &format!("{popular}&k=1")).await)[0].clone();
    let query = format!("{popular}&k=5&exclude_items={top}");
    let without = listed(&app.recommend(customer, &query).await);
    assert_eq!(without.len(), 5, "{without:?}");
    assert!(!without.contains(&top), "{without:?}");
    let similar = app.similar(
        &trained.catalogue.items[1],
        "engine=popularity&k=2&category=group-0",
    );
    let similar = numbers(&similar.await);
    assert_eq!(similar.len(), 2, "{similar:?}");
    assert!(similar.iter().all(|n| n % 3 == 0), "{similar:?}");
    let path = format!("/customers/{customer}/recommendations");
    for query in [
        "exclude_items=nope",
        "min_price=5&max_price=1",
        "min_price=-1",
    ] {
        let response = app.get(&format!("{path}?{query}")).await;
        expect_problem(response, 422, "validation_failed").await;
    }
}

async fn recommendation_queries_are_checked(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let path = format!(
        "/customers/{}/recommendations",
        trained.catalogue.customers[4]
    );
    for query in ["k=0", "engine=nope"] {
        let response = app.get(&format!("{path}?{query}")).await;
        expect_problem(response, 422, "validation_failed").await;
    }
    // A known engine with no active model.
    expect_problem(
        app.get(&format!("{path}?engine=ease")).await,
        409,
        "no_active_model",
    )
    .await;
}

/// Serving keeps items, customers, recent interactions and users in memory:
/// a change made through one replica takes effect there at once, and on the
/// other within a model poll (1 s in tests; a user within a second).
async fn replicas_follow_changes_made_elsewhere(backend: Backend) {
    const WITHIN: Duration = Duration::from_secs(10);
    let (first, trained) = spawn_trained(backend).await;
    let second = spawn_replica(&first).await;
    let customer = trained.catalogue.customers[5].clone();
    let query = "k=12&engine=popularity";
    let path = format!("/customers/{customer}/recommendations?{query}");
    let before = second.recommend(&customer, query).await;
    assert_eq!(before["model_id"], trained.popularity.as_str());
    let before = listed(&before);
    assert!(before.len() >= 2, "{before:?}");
    let (bought, retired) = (before[0].clone(), before[1].clone());

    // A purchase and a retired item, through the first replica.
    first
        .record_interaction(json!({"customer_id": customer, "item_id": bought, "kind": "purchase"}))
        .await;
    first.deactivate_item(&retired).await;
    let gone = async |app: &TestApp| {
        let list = listed(&app.recommend(&customer, query).await);
        !list.contains(&bought) && !list.contains(&retired)
    };
    assert!(gone(&first).await, "the first replica serves the change");
    eventually("the other replica follows", WITHIN, async || {
        gone(&second).await
    })
    .await;

    // A deleted customer is gone at once here, soon there; and comes back.
    first.delete_customer(&customer).await;
    expect_problem(first.get(&path).await, 404, "not_found").await;
    eventually(
        "the deletion reaches the other replica",
        WITHIN,
        async || second.get(&path).await.status() == 404,
    )
    .await;
    first.restore_customer(&customer).await;
    first.recommend(&customer, query).await;
    eventually(
        "the restoration reaches the other replica",
        WITHIN,
        async || second.get(&path).await.status() == 200,
    )
    .await;

    // A deactivated user is refused at once here, soon there.
    let analyst = first.user("analyst", None).await;
    crate::helpers::expect_status(second.get_as(&analyst.token, &path).await, 200).await;
    first.deactivate_user(&analyst.id).await;
    expect_problem(
        first.get_as(&analyst.token, &path).await,
        401,
        "unauthorized",
    )
    .await;
    eventually(
        "the deactivation reaches the other replica",
        WITHIN,
        async || second.get_as(&analyst.token, &path).await.status() == 401,
    )
    .await;
}

crate::on_every_backend!(
    a_known_customer_gets_unseen_items_of_their_group_with_reasons,
    new_interactions_count_at_once_and_retired_items_never_come_back,
    a_newcomer_gets_the_popularity_fallback,
    every_recommender_carries_its_own_fallback,
    filters_narrow_the_list,
    recommendation_queries_are_checked,
    replicas_follow_changes_made_elsewhere,
);

async fn scores_are_explained_by_their_factors(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customers = &trained.catalogue.customers;
    let scored = app.scores(&customers[0]).await;
    let score = &scored["scores"][0];
    assert_eq!(score["model_id"], trained.logistic.as_str());
    assert_eq!(score["label"], "churn=Yes");
    // Contributions plus the intercept are the logit.
    let factors = score["factors"].as_array().unwrap();
    assert!(factors.iter().any(|f| f["feature"] == "tenure_months"));
    let sum: f64 = factors
        .iter()
        .map(|f| f["contribution"].as_f64().unwrap())
        .sum::<f64>()
        + score["intercept"].as_f64().unwrap();
    let logit = score["logit"].as_f64().unwrap();
    assert!((sum - logit).abs() < 1e-9, "{sum} vs {logit}");
    // The factors explain the model's own probability; `probability` is calibrated.
    let uncalibrated = score["uncalibrated_probability"].as_f64().unwrap();
    assert!((uncalibrated - 1.0 / (1.0 + (-logit).exp())).abs() < 1e-12);
    let probability = score["probability"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&probability), "{score}");

    // Customer 0 churned, customer 1 did not.
    let stayer = app.scores(&customers[1]).await["scores"][0]["uncalibrated_probability"]
        .as_f64()
        .unwrap();
    assert!(
        uncalibrated > stayer,
        "churner {uncalibrated} <= stayer {stayer}"
    );
}

/// Reading scores sets nothing off; the score sweep runs the automations.
async fn the_score_sweep_starts_the_churn_automation(backend: Backend) {
    let (app, trained) = spawn_trained_with(backend, &["--score-sweep-interval-ms", "300"]).await;
    let (churner, stayer) = (
        &trained.catalogue.customers[0],
        &trained.catalogue.customers[1],
    );
    let probability = app.scores(churner).await["scores"][0]["probability"]
        .as_f64()
        .unwrap();
    assert!(probability > 0.5, "the churner scores {probability}");
    app.define_demo_workflows().await;
    let rule = app
        .create_automation(json!({"name": "Churn risk",
            "when": {"type": "score", "threshold": 0.5}, "then": {"workflow_key": "churn-save"}}))
        .await;
    let started = || async { app.open_instances(churner, "churn-save").await.len() == 1 };
    eventually(
        "the sweep starts churn-save",
        Duration::from_secs(20),
        started,
    )
    .await;
    let stayer_started =
        format!("/workflow-instances?customer_id={stayer}&workflow_key=churn-save");
    assert_eq!(app.count(&stayer_started).await, 0);
    // Later sweeps see the same crossings and start nothing new.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let runs = app.automation_outcomes(&rule).await;
    assert!(runs.iter().all(|outcome| outcome == "started"), "{runs:?}");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(app.automation_outcomes(&rule).await, runs);
}

/// `POST /scores/batch` only reads: with an active score rule and the sweep
/// off, a batch starts no workflow.
async fn batch_scoring_starts_nothing(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let churner = &trained.catalogue.customers[0];
    app.define_demo_workflows().await;
    app.create_automation(json!({"name": "Churn risk",
        "when": {"type": "score", "threshold": 0.5}, "then": {"workflow_key": "churn-save"}}))
        .await;
    let batch = app.score_batch(&[churner]).await;
    assert!(
        batch["data"][0]["scores"][0]["probability"]
            .as_f64()
            .unwrap()
            > 0.5
    );
    assert!(app.open_instances(churner, "churn-save").await.is_empty());
}

async fn batch_scoring_reports_unknown_customers_and_has_limits(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customers = &trained.catalogue.customers;
    let unknown = uuid::Uuid::now_v7().to_string();
    let batch = app
        .score_batch(&[&customers[0], &customers[1], &unknown])
        .await;
    assert_eq!(batch["data"].as_array().unwrap().len(), 2);
    assert_eq!(batch["not_found"], json!([unknown]));
    let too_many: Vec<String> = (0..1001)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    for ids in [json!([]), json!(too_many)] {
        expect_problem(
            app.post("/scores/batch", &json!({"customer_ids": ids}))
                .await,
            422,
            "validation_failed",
        )
        .await;
    }
}

crate::on_every_backend!(
    scores_are_explained_by_their_factors,
    the_score_sweep_starts_the_churn_automation,
    batch_scoring_starts_nothing,
    batch_scoring_reports_unknown_customers_and_has_limits,
);

/// When a behaviour feature has no spread in training (here recency: every
/// customer's last interaction is at the same time), the encoder treats it
/// as constant; it once kept a standard deviation made of float noise
/// (~1e-14), and since scoring computes recency from the current second, a
/// second after training every probability collapsed to ~0.
#[tokio::test]
async fn scores_do_not_drift_with_the_clock() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut customers = Vec::new();
    let mut rows = Vec::new();
    for c in 0..30 {
        let churned = c % 3 == 0;
        let body = json!({"name": format!("Customer {c}"),
            "attributes": {"tenure_months": c + 1, "churn": if churned { "Yes" } else { "No" }}});
        let id = crate::helpers::id_of(&app.create_customer(body).await);
        rows.push(json!({"customer_id": id, "kind": "rating",
            "rating": if churned { 1 } else { 5 }, "occurred_at": "2026-09-01T10:00:00Z"}));
        customers.push(id);
    }
    app.record_interactions(&rows).await;
    app.train_and_activate("logistic", json!({"label": "churn=Yes"}))
        .await;
    let probability = async || {
        app.scores(&customers[0]).await["scores"][0]["probability"]
            .as_f64()
            .unwrap()
    };
    let now = probability().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = probability().await;
    assert!(
        (now - later).abs() < 0.01,
        "the churner scored {now}, then {later} 1.5 s later"
    );
}
