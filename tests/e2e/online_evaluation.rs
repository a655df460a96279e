//! Knowing what works in production: a scripted A/B experiment between two
//! models (200 customers, clicks and purchases at known rates) gives exactly
//! the expected exposures, attributions and rates; assignment is the same on
//! another replica; a full exposure queue drops recording, not requests.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, eventually, expect_problem, expect_status, id_of, spawn_app_with,
    spawn_replica,
};

const CUSTOMERS: usize = 200;
const ITEMS: usize = 10;

/// Ten items and 200 customers; the first 20 have a purchase history, so
/// that `popularity` has something to rank. Returns the customer ids.
async fn seed(app: &TestApp) -> Vec<String> {
    for i in 0..ITEMS {
        app.create_item(json!({"sku": format!("P-{i}"), "name": format!("Product {i}")}))
            .await;
    }
    let mut customers = Vec::new();
    for c in 0..CUSTOMERS {
        let body = json!({"name": format!("Shopper {c}"), "external_id": format!("s-{c:03}")});
        customers.push(id_of(&app.create_customer(body).await));
    }
    let rows: Vec<Value> = (0..20)
        .flat_map(|c| {
            (0..=(c % ITEMS)).map(move |i| {
                json!({"customer_external_id": format!("s-{c:03}"), "item_sku": format!("P-{i}"),
                       "kind": "purchase", "occurred_at": "2026-06-01T10:00:00Z"})
            })
        })
        .collect();
    app.record_interactions(&rows).await;
    customers
}

/// Waits until `n` exposures of `model` are written.
async fn written(app: &TestApp, model: &str, n: u64) {
    eventually(
        "the exposures are written",
        Duration::from_secs(10),
        async || {
            let metrics = app.fetch(&format!("/models/{model}/online-metrics")).await;
            let total: u64 = metrics["intervals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["exposures"].as_u64().unwrap())
                .sum();
            total == n
        },
    )
    .await;
}

async fn a_scripted_experiment_gives_the_expected_figures(backend: Backend) {
    let flags = [
        "--exposure-flush-ms",
        "20",
        "--attribution-window",
        "1h",
        "--default-engine",
        "popularity",
    ];
    let app = spawn_app_with(backend, &flags).await;
    let customers = seed(&app).await;
    let control = app.train_and_activate("popularity", json!({})).await;
    let job = app
        .train("popularity", json!({"params": {"half_life_days": 7}}))
        .await;
    let challenger = job["model_id"].as_str().unwrap().to_owned();

    let experiment = app
        .create(
            "/experiments",
            &json!({"key": "home-v2", "placement": "homepage", "arms": [
                {"name": "control", "engine": "popularity", "model_id": control, "weight": 1},
                {"name": "recent", "engine": "popularity", "model_id": challenger, "weight": 1}]}),
        )
        .await;
    assert_eq!(experiment["status"], "running", "{experiment}");
    let overlap = json!({"key": "other", "placement": "homepage", "arms": [
        {"name": "a", "engine": "popularity", "weight": 1}, {"name": "b", "engine": "popularity", "weight": 1}]});
    expect_problem(
        app.post("/experiments", &overlap).await,
        409,
        "experiment_overlap",
    )
    .await;

    // Every customer is served once on the homepage.
    let mut served = Vec::new();
    for customer in &customers {
        let response = app
            .get(&format!(
                "/customers/{customer}/recommendations?k=3&exclude_seen=false&placement=homepage"
            ))
            .await;
        let header = response
            .headers()
            .get("x-exposure-id")
            .map(|h| h.to_str().unwrap().to_owned());
        let list = expect_status(response, 200).await;
        assert_eq!(header.as_deref(), list["exposure_id"].as_str(), "{list}");
        assert_eq!(list["placement"], "homepage");
        assert_eq!(list["experiment"]["key"], "home-v2");
        let arm = list["experiment"]["arm"].as_str().unwrap().to_owned();
        let expected_model = if arm == "control" {
            &control
        } else {
            &challenger
        };
        assert_eq!(list["model_id"], expected_model.as_str(), "{list}");
        assert_eq!(list["items"].as_array().unwrap().len(), 3, "{list}");
        served.push((customer.clone(), arm, list));
    }
    let in_arm = |name: &str| served.iter().filter(|(_, arm, _)| arm == name).count();
    let (n_control, n_recent) = (in_arm("control"), in_arm("recent"));
    assert_eq!(n_control + n_recent, CUSTOMERS);
    assert!(n_control > 70 && n_recent > 70, "{n_control} / {n_recent}");

    // Scripted behaviour: in the control arm every 5th customer clicks the
    // first item and every 10th buys it; in the other every 2nd clicks and
    // every 4th buys. Plus three interactions that must not count.
    let now = Utc::now();
    let mut rows = Vec::new();
    let mut expected: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut seen_in_arm: BTreeMap<&str, usize> = BTreeMap::new();
    for (customer, arm, list) in &served {
        let first = list["items"][0]["item_id"].as_str().unwrap();
        // The customer's rank within their arm.
        let rank = seen_in_arm.entry(arm.as_str()).or_default();
        let n = *rank;
        *rank += 1;
        let (click_every, buy_every) = if arm == "control" { (5, 10) } else { (2, 4) };
        let entry = expected
            .entry(if arm == "control" {
                "control"
            } else {
                "recent"
            })
            .or_default();
        if n.is_multiple_of(click_every) {
            rows.push(json!({"customer_id": customer, "item_id": first, "kind": "click"}));
            entry.0 += 1;
        }
        if n.is_multiple_of(buy_every) {
            rows.push(json!({"customer_id": customer, "item_id": first, "kind": "purchase", "value": 10.0}));
            entry.1 += 1;
        }
    }
    let (outsider, _, list) = served.iter().find(|(_, arm, _)| arm == "recent").unwrap();
    let first = list["items"][0]["item_id"].as_str().unwrap();
    // Too late: two hours after the list, past the one-hour window.
    rows.push(
        json!({"customer_id": outsider, "item_id": first, "kind": "purchase",
                     "occurred_at": now + TimeDelta::hours(2)}),
    );
    // Not an attributed kind.
    rows.push(json!({"customer_id": outsider, "item_id": first, "kind": "view"}));
    // An item that was not shown to them.
    let unshown = app
        .list_all("/items")
        .await
        .into_iter()
        .map(|i| id_of(&i))
        .find(|id| {
            !list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["item_id"] == id.as_str())
        })
        .unwrap();
    rows.push(json!({"customer_id": outsider, "item_id": unshown, "kind": "purchase"}));
    written(&app, &control, n_control as u64).await;
    written(&app, &challenger, n_recent as u64).await;
    app.record_interactions(&rows).await;

    let results = app.fetch("/experiments/home-v2/results").await;
    assert_eq!(results["conversion_kind"], "purchase");
    let arms = results["arms"].as_array().unwrap();
    for (arm, n) in [("control", n_control), ("recent", n_recent)] {
        let figures = arms.iter().find(|a| a["name"] == arm).unwrap();
        let converted = expected[arm].1;
        assert_eq!(figures["customers"], n as u64, "{figures}");
        assert_eq!(figures["exposures"], n as u64, "{figures}");
        assert_eq!(figures["converted"], converted, "{figures}");
        let rate = converted as f64 / n as f64;
        assert!(
            (figures["rate"].as_f64().unwrap() - rate).abs() < 1e-12,
            "{figures}"
        );
        assert!(figures["interval_low"].as_f64().unwrap() < rate);
        assert!(figures["interval_high"].as_f64().unwrap() > rate);
    }
    let recent = arms.iter().find(|a| a["name"] == "recent").unwrap();
    assert!(
        recent["vs_first"]["p_value"].as_f64().unwrap() < 0.05,
        "{results}"
    );
    assert_eq!(results["sample_ratio"]["mismatch"], false, "{results}");

    // The challenger's online metrics: exactly the scripted clicks and
    // purchases over its impressions.
    let metrics = app
        .fetch(&format!(
            "/models/{challenger}/online-metrics?placement=homepage"
        ))
        .await;
    let day = &metrics["intervals"][0];
    let (clicks, purchases) = expected["recent"];
    assert_eq!(day["exposures"], n_recent as u64, "{metrics}");
    assert_eq!(day["customers"], n_recent as u64);
    assert_eq!(day["impressions"], 3 * n_recent as u64);
    assert_eq!(day["actions"]["click"], clicks, "{metrics}");
    assert_eq!(day["actions"]["purchase"], purchases, "{metrics}");
    let impressions = 3.0 * n_recent as f64;
    assert!((day["rates"]["click"].as_f64().unwrap() - clicks as f64 / impressions).abs() < 1e-12);
    assert!(
        (day["revenue"].as_f64().unwrap() - 10.0 * purchases as f64).abs() < 1e-9,
        "{metrics}"
    );
    // Each clicking customer acted on one of their three items.
    let feedback = day["positive_feedback_rate"].as_f64().unwrap();
    assert!(
        (feedback - clicks.max(purchases) as f64 / 3.0 / n_recent as f64).abs() < 1e-12,
        "{metrics}"
    );

    // A confirmed impression narrows what counts as shown; an interaction
    // naming its list is attributed to it.
    let (customer, _, list) = &served[1];
    let exposure = list["exposure_id"].as_str().unwrap();
    let second = list["items"][1]["item_id"].as_str().unwrap();
    let path = format!("/exposures/{exposure}/impressions");
    let confirmed = expect_status(app.post(&path, &json!({"item_ids": [second]})).await, 200).await;
    assert_eq!(confirmed["impressions"], json!([second]));
    let bad = json!({"item_ids": [unshown]});
    expect_problem(
        app.post(&format!("/exposures/{exposure}/impressions"), &bad)
            .await,
        422,
        "validation_failed",
    )
    .await;
    app.record_interaction(
        json!({"customer_id": customer, "item_id": second, "kind": "cart",
        "exposure_id": exposure}),
    )
    .await;
    let model = list["model_id"].as_str().unwrap();
    let metrics = app.fetch(&format!("/models/{model}/online-metrics")).await;
    assert_eq!(metrics["intervals"][0]["actions"]["cart"], 1, "{metrics}");

    // The challenger's report shows its online figures and the experiment.
    let report = app
        .fetch(&format!("/models/{challenger}/report.json"))
        .await;
    assert_eq!(
        report["online"]["intervals"][0]["exposures"], n_recent as u64,
        "{report}"
    );
    assert_eq!(report["experiments"][0]["key"], "home-v2", "{report}");
    let page = app
        .get(&format!("/models/{challenger}/report"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Rates per day") && page.contains("Experiment home-v2"),
        "{page}"
    );

    // Another replica puts every customer in the same arm.
    let replica = spawn_replica(&app).await;
    for (customer, arm, _) in served.iter().take(40) {
        let list = replica
            .fetch(&format!(
                "/customers/{customer}/recommendations?k=3&exclude_seen=false&placement=homepage"
            ))
            .await;
        assert_eq!(list["experiment"]["arm"], arm.as_str(), "{list}");
    }
    // Stopping returns serving to the active model.
    let stopped = app.post("/experiments/home-v2/stop", &json!({})).await;
    let stopped = expect_status(stopped, 200).await;
    assert_eq!(stopped["status"], "ended");
    let (customer, ..) = served.iter().find(|(_, arm, _)| arm == "recent").unwrap();
    let after = app
        .fetch(&format!(
            "/customers/{customer}/recommendations?placement=homepage"
        ))
        .await;
    assert_eq!(after["experiment"], Value::Null, "{after}");
    assert_eq!(
        after["model_id"],
        control.as_str(),
        "the active model serves again"
    );
}

/// With the writer busy and a queue of two, further lists are served but
/// not recorded, and the loss is counted.
async fn a_full_exposure_queue_drops_recording_not_requests(backend: Backend) {
    let flags = ["--exposure-queue", "2", "--exposure-flush-ms", "600000"];
    let app = spawn_app_with(backend, &flags).await;
    let customers = seed(&app).await;
    app.train_and_activate("popularity", json!({})).await;
    let mut recorded = 0;
    for customer in customers.iter().take(10) {
        let list = app
            .fetch(&format!(
                "/customers/{customer}/recommendations?engine=popularity"
            ))
            .await;
        recorded += usize::from(list["exposure_id"].is_string());
    }
    assert!((2..=3).contains(&recorded), "{recorded} recorded");
    let text = app
        .client
        .get(app.root("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dropped = text
        .lines()
        .find_map(|l| l.strip_prefix("rapport_exposures_dropped_total "))
        .unwrap();
    assert_eq!(
        dropped.trim().parse::<usize>().unwrap(),
        10 - recorded,
        "{text}"
    );
}

async fn experiments_are_checked(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let arms = |a: Value, b: Value| json!({"key": "k", "arms": [a, b]});
    for body in [
        arms(
            json!({"name": "a", "engine": "nope", "weight": 1}),
            json!({"name": "b", "engine": "popularity", "weight": 1}),
        ),
        arms(
            json!({"name": "a", "engine": "logistic", "weight": 1}),
            json!({"name": "b", "engine": "popularity", "weight": 1}),
        ),
        arms(
            json!({"name": "a", "engine": "popularity", "weight": 0}),
            json!({"name": "b", "engine": "popularity", "weight": 1}),
        ),
        arms(
            json!({"name": "a", "engine": "popularity", "weight": 1}),
            json!({"name": "a", "engine": "popularity", "weight": 1}),
        ),
        arms(
            json!({"name": "a", "engine": "popularity", "model_id": uuid::Uuid::now_v7(), "weight": 1}),
            json!({"name": "b", "engine": "popularity", "weight": 1}),
        ),
        json!({"key": "Not a key", "arms": []}),
    ] {
        expect_problem(
            app.post("/experiments", &body).await,
            422,
            "validation_failed",
        )
        .await;
    }
    let marketing = app.user("marketing", None).await;
    let ok = arms(
        json!({"name": "a", "engine": "popularity", "weight": 1}),
        json!({"name": "b", "engine": "popularity", "weight": 1}),
    );
    expect_status(
        app.post_as(&marketing.token, "/experiments", &ok).await,
        403,
    )
    .await;
    assert!(app.list_all("/experiments").await.is_empty());
    expect_problem(app.get("/experiments/k/results").await, 404, "not_found").await;
    let analyst = app.user("analyst", None).await;
    expect_status(app.post_as(&analyst.token, "/experiments", &ok).await, 201).await;
    let bad = app.get("/experiments/k/results?kind=view").await;
    expect_problem(bad, 422, "validation_failed").await;
}

crate::on_every_backend!(
    a_scripted_experiment_gives_the_expected_figures,
    a_full_exposure_queue_drops_recording_not_requests,
    experiments_are_checked,
);
