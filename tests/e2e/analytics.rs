//! Customer analytics through the real API: survey answers and the
//! satisfaction views with the detractor automation, segments trained and
//! activated (customers carry `segment_id`, filters, history, the
//! segment-entered automation), and association rules (bought together,
//! basket completion, `engine=baskets`).

use serde_json::{Value, json};

use crate::helpers::{Backend, expect_problem, expect_status, spawn_app};

fn survey(customer: &str, kind: &str, score: i64) -> Value {
    json!({"customer_id": customer, "kind": "survey", "channel": "email",
           "survey": {"type": kind, "score": score, "question": "How likely?", "comment": "fine"}})
}

async fn survey_answers_give_nps_and_start_the_save_workflow(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let rule = json!({"name": "Detractor", "when": {"type": "detractor"},
                      "then": {"workflow_key": "churn-save"}});
    let automation = app.create_automation(rule).await;
    let ada = app.customer("Ada").await;
    let bob = app.customer("Bob").await;
    // Off the scale, or a survey on another kind: 422, nothing stored.
    for (bad, field) in [
        (survey(&ada, "nps", 11), "survey.score"),
        (survey(&ada, "csat", 0), "survey.score"),
        (
            json!({"customer_id": ada, "kind": "purchase", "survey": {"type": "nps", "score": 9}}),
            "survey",
        ),
    ] {
        let problem = expect_problem(
            app.post("/interactions", &bad).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    assert_eq!(app.count("/interactions").await, 0);
    let stored = app.record_interaction(survey(&ada, "nps", 10)).await;
    assert_eq!(stored["survey"]["type"], "nps");
    assert_eq!(stored["survey"]["score"], 10);
    app.record_interactions(&[
        survey(&ada, "nps", 9),
        survey(&bob, "nps", 3),
        survey(&bob, "csat", 5),
    ])
    .await;
    // Bob's 3 is a detractor's answer: the save workflow starts for him only.
    assert_eq!(app.open_instances(&bob, "churn-save").await.len(), 1);
    assert!(app.open_instances(&ada, "churn-save").await.is_empty());
    assert_eq!(app.automation_outcomes(&automation).await, ["started"]);
    // Promoters 2 of 3, detractors 1 of 3: NPS 33.3.
    let all = app.fetch("/satisfaction").await;
    let nps = &all["data"][0]["summary"]["nps"];
    assert_eq!(nps["responses"], 3, "{all}");
    assert!(
        (nps["score"].as_f64().unwrap() - 100.0 / 3.0).abs() < 1e-9,
        "{nps}"
    );
    assert!(nps["interval"]["low"].as_f64().unwrap() < nps["score"].as_f64().unwrap());
    let csat = &all["data"][0]["summary"]["csat"];
    assert_eq!(csat["responses"], 1);
    assert_eq!(csat["score"], 100.0);
    let by_channel = app.fetch("/satisfaction?group_by=channel").await;
    assert_eq!(by_channel["data"][0]["key"], "email");
    let mine = app.fetch(&format!("/customers/{bob}/satisfaction")).await;
    assert_eq!(mine["trend"]["nps"]["latest"]["score"], 3, "{mine}");
    // A rating counts as CSAT only when asked.
    app.record_interaction(json!({"customer_id": ada, "kind": "rating", "rating": 1}))
        .await;
    let without = app.fetch("/satisfaction").await;
    assert_eq!(without["data"][0]["summary"]["csat"]["responses"], 1);
    let with = app.fetch("/satisfaction?include_ratings=true").await;
    assert_eq!(with["data"][0]["summary"]["csat"]["responses"], 2);
    expect_problem(
        app.get("/satisfaction?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")
            .await,
        422,
        "validation_failed",
    )
    .await;
}

/// Loyal customers buying weekly and lapsed ones who bought once, long ago.
async fn two_kinds_of_buyers(app: &crate::helpers::TestApp) -> (Vec<String>, Vec<String>) {
    let item = app.item("SKU-1", "Coffee").await;
    let now = chrono::Utc::now();
    let mut loyal = Vec::new();
    let mut lapsed = Vec::new();
    let mut rows = Vec::new();
    for i in 0..6 {
        let customer = app.customer(&format!("Loyal {i}")).await;
        for w in 0..12 {
            let at = now - chrono::Duration::days(7 * w + 1);
            rows.push(
                json!({"customer_id": customer, "item_id": item, "kind": "purchase",
                             "value": 40.0, "occurred_at": at}),
            );
        }
        loyal.push(customer);
        let customer = app.customer(&format!("Lapsed {i}")).await;
        let at = now - chrono::Duration::days(300 + i);
        rows.push(
            json!({"customer_id": customer, "item_id": item, "kind": "purchase",
                         "value": 5.0, "occurred_at": at}),
        );
        lapsed.push(customer);
    }
    app.record_interactions(&rows).await;
    (loyal, lapsed)
}

async fn segments_place_customers_and_fire_automations(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    let (loyal, lapsed) = two_kinds_of_buyers(&app).await;
    let params = json!({"k": 2, "n_init": 3});
    let model_id = app.train_and_activate("segments", params).await;
    let model = app.model(&model_id).await;
    assert_eq!(model["metrics"]["k"], 2, "{model}");
    let segments = app.fetch("/segments").await;
    let list = segments["data"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{segments}");
    let first = app.get_customer(&loyal[0]).await;
    let loyal_segment = first["segment_id"].as_i64().unwrap();
    for c in &loyal {
        assert_eq!(app.get_customer(c).await["segment_id"], loyal_segment);
    }
    let lapsed_segment = app.get_customer(&lapsed[0]).await["segment_id"]
        .as_i64()
        .unwrap();
    assert_ne!(loyal_segment, lapsed_segment);
    let listed = app
        .fetch(&format!("/customers?segment_id={loyal_segment}"))
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 6);
    let members = app
        .fetch(&format!("/segments/{lapsed_segment}/customers"))
        .await;
    assert_eq!(members["data"].as_array().unwrap().len(), 6);
    let profile = list.iter().find(|s| s["id"] == loyal_segment).unwrap();
    assert!(
        profile["profile"]["summary"]
            .as_str()
            .unwrap()
            .contains("frequent"),
        "{profile}"
    );
    let history = app
        .fetch(&format!("/customers/{}/segment-history", loyal[0]))
        .await;
    assert_eq!(history["data"][0]["to_segment"], loyal_segment);
    assert!(history["data"][0]["from_segment"].is_null());
    // The timeline holds the segment change (newest) and the 12 purchases,
    // newest first, paged without gaps or repeats.
    let mut entries: Vec<Value> = Vec::new();
    let mut url = format!("/customers/{}/timeline?limit=5", loyal[0]);
    loop {
        let page = app.fetch(&url).await;
        entries.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/customers/{}/timeline?limit=5&cursor={c}", loyal[0]),
            None => break,
        }
    }
    assert_eq!(entries.len(), 13, "{entries:?}");
    assert_eq!(entries[0]["type"], "segment_change");
    assert_eq!(entries[0]["segment_change"]["to_segment"], loyal_segment);
    assert!(entries[1..].iter().all(|e| e["type"] == "interaction"
        && e["interaction"]["kind"] == "purchase"
        && e.get("segment_change").is_none()));
    let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> =
        times.iter().map(|t| t.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let bad = app
        .get(&format!("/customers/{}/timeline?cursor=nope", loyal[0]))
        .await;
    expect_problem(bad, 400, "invalid_cursor").await;
    // Naming a segment keeps the name across a refit that keeps its id.
    let renamed = app
        .patch(
            &format!("/segments/{loyal_segment}"),
            &json!({"name": "Regulars"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    // A new loyal customer enters the loyal segment on demand, firing the automation.
    let rule = json!({"name": "Welcome regulars", "when": {"type": "segment_entered", "segment_id": loyal_segment},
                      "then": {"workflow_key": "churn-save"}});
    let automation = app.create_automation(rule).await;
    let newcomer = app.customer("Newcomer").await;
    let item = app.fetch("/items").await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rows: Vec<Value> = (0..12)
        .map(|w| {
            json!({"customer_id": newcomer, "item_id": item, "kind": "purchase", "value": 40.0,
                        "occurred_at": chrono::Utc::now() - chrono::Duration::days(7 * w + 1)})
        })
        .collect();
    app.record_interactions(&rows).await;
    assert!(app.get_customer(&newcomer).await["segment_id"].is_null());
    let assigned = expect_status(app.post("/segments/assign", &json!({})).await, 200).await;
    assert_eq!(assigned["placed"], 1, "{assigned}");
    assert_eq!(
        app.get_customer(&newcomer).await["segment_id"],
        loyal_segment
    );
    assert_eq!(app.automation_outcomes(&automation).await, ["started"]);
    let segments = app.fetch("/segments").await;
    let named = segments["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == loyal_segment)
        .cloned();
    assert_eq!(named.unwrap()["name"], "Regulars");
}

async fn baskets_explain_what_is_bought_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let bread = app.item("BREAD", "Bread").await;
    let butter = app.item("BUTTER", "Butter").await;
    let jam = app.item("JAM", "Jam").await;
    let mut rows = Vec::new();
    for i in 0..10 {
        let customer = app.customer(&format!("Shopper {i}")).await;
        let order = format!("ORD-{i}");
        let mut items = vec![&bread];
        if i < 8 {
            items.push(&butter);
        }
        if i % 3 == 0 {
            items.push(&jam);
        }
        for item in items {
            rows.push(
                json!({"customer_id": customer, "item_id": item, "kind": "purchase",
                             "value": 2.0, "basket_id": order}),
            );
        }
    }
    app.record_interactions(&rows).await;
    let listed = app.fetch("/interactions?basket_id=ORD-0").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 3);
    expect_problem(
        app.get(&format!("/items/{bread}/bought-together")).await,
        409,
        "no_active_model",
    )
    .await;
    app.train_and_activate(
        "baskets",
        json!({"min_support": 0.2, "min_confidence": 0.5}),
    )
    .await;
    let together = app.fetch(&format!("/items/{butter}/bought-together")).await;
    let rule = &together["data"][0];
    // Butter is in 8 baskets, all with bread: confidence 1, lift 10/10 = 1.
    assert_eq!(
        rule["consequent"][0]["item_id"],
        bread.as_str(),
        "{together}"
    );
    assert_eq!(rule["baskets"], 8);
    assert_eq!(rule["antecedent_baskets"], 8);
    assert_eq!(rule["total_baskets"], 10);
    assert_eq!(rule["confidence"], 1.0);
    let completed = expect_status(
        app.post("/baskets/complete", &json!({"item_ids": [butter]}))
            .await,
        200,
    )
    .await;
    let first = &completed["data"][0];
    assert_eq!(first["item"]["sku"], "BREAD", "{completed}");
    assert!(!first["reasons"].as_array().unwrap().is_empty());
    expect_problem(
        app.post("/baskets/complete", &json!({"item_ids": []}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

async fn the_churn_scorer_learns_from_the_last_nps_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    // Detractors churned, promoters stayed; the latest answer is the one that counts.
    let mut rows = Vec::new();
    let mut first = None;
    for i in 0..40 {
        let churned = i % 2 == 0;
        let body = json!({"name": format!("C{i}"),
                          "attributes": {"churn": if churned { "Yes" } else { "No" }, "plan": "basic"}});
        let id = app.create_customer(body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (earlier, latest) = if churned {
            (9, 2 + i % 4)
        } else {
            (3, 9 + i % 2)
        };
        let at = |days: i64| chrono::Utc::now() - chrono::Duration::days(days);
        let mut answer = |score: i64, days| {
            let mut row = survey(&id, "nps", score);
            row["occurred_at"] = json!(at(days));
            rows.push(row);
        };
        answer(earlier, 60);
        answer(latest, 5);
        first.get_or_insert(id);
    }
    app.record_interactions(&rows).await;
    let model = app
        .train_and_activate("logistic", json!({"label": "churn=Yes"}))
        .await;
    let scored = app.scores(first.as_ref().unwrap()).await;
    let score = &scored["scores"][0];
    assert_eq!(score["model_id"], model.as_str());
    let factor = score["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "last_nps")
        .cloned()
        .unwrap_or_else(|| panic!("no last_nps factor: {score}"));
    assert_eq!(factor["value"], 2.0, "{factor}");
    assert!(
        score["probability"].as_f64().unwrap() > 0.5,
        "a detractor is likely to churn: {score}"
    );
}

crate::on_every_backend!(
    survey_answers_give_nps_and_start_the_save_workflow,
    the_churn_scorer_learns_from_the_last_nps_answer,
    segments_place_customers_and_fire_automations,
    baskets_explain_what_is_bought_together,
);
