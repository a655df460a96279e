//! Scorers trained on labels read from behaviour ("will buy within 30
//! days", "inactive for 60 days"), point in time: features see only what
//! happened up to each cutoff, labels only the window after it.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_problem, spawn_app};

/// Day `day` of a history that ends (day 389) yesterday, at 00:00: scores
/// are computed as of now, so the history must reach up to now.
fn day(day: u32) -> String {
    let first = chrono::Utc::now().date_naive() - chrono::Days::new(390);
    format!("{}T00:00:00Z", first + chrono::Days::new(u64::from(day)))
}

fn event(customer: usize, kind: &str, on: u32) -> Value {
    json!({"customer_external_id": format!("b-{customer:02}"), "kind": kind,
           "value": if kind == "purchase" { json!(20.0) } else { Value::Null },
           "occurred_at": day(on)})
}

/// Customers `b-00`..; returns their ids.
async fn customers(app: &TestApp, n: usize, plan: impl Fn(usize) -> &'static str) -> Vec<String> {
    let mut ids = Vec::new();
    for c in 0..n {
        let body = json!({"name": format!("Buyer {c}"), "external_id": format!("b-{c:02}"),
                          "attributes": {"plan": plan(c)}});
        ids.push(
            app.create_customer(body).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

/// Whether customer `c` buys in 30-day period `w`: about 40 %, with no
/// pattern over periods (a SplitMix64 hash of both).
fn buys(c: usize, w: u32) -> bool {
    let mut z = (c as u64) << 32 | u64::from(w);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100 < 40
}

/// Every customer looks on the first day of each 30-day period; those who
/// buy in it click twice just before. Clicks after a cutoff would give the
/// label away, so a model that saw them would be nearly perfect: it must
/// not see them, and so does no better than chance.
async fn a_purchase_label_never_sees_the_window_it_predicts(backend: Backend) {
    const N: usize = 60;
    let app = spawn_app(backend).await;
    customers(&app, N, |_| "standard").await;
    let mut rows = Vec::new();
    for c in 0..N {
        for w in 0..13 {
            rows.push(event(c, "view", 30 * w + 1));
            if buys(c, w) {
                rows.push(event(c, "click", 30 * w + 10));
                rows.push(event(c, "click", 30 * w + 11));
                rows.push(event(c, "purchase", 30 * w + 12));
            }
        }
        rows.push(event(c, "view", 389));
    }
    app.record_interactions(&rows).await;

    let params = json!({"event": "purchase", "within_days": 30, "cutoffs": 4});
    let model_id = app.train_and_activate("logistic", params).await;
    let metrics = app.model(&model_id).await["metrics"].clone();
    // The log ends on day 389: cutoffs on days 359 (test), 329, 299, 269;
    // every training window ends by day 359. Test positives buy on day 372.
    assert_eq!(metrics["test_rows"], N, "{metrics}");
    assert_eq!(metrics["train_rows"], 3 * N, "{metrics}");
    let expected = (0..N).filter(|&c| buys(c, 12)).count();
    assert_eq!(metrics["test_positives"], expected, "{metrics}");
    let auc = metrics["roc_auc"].as_f64().unwrap();
    assert!(
        auc < 0.8,
        "the model saw the window it predicts: ROC AUC {auc}"
    );
    for feature in metrics["permutation_importance"].as_array().unwrap() {
        if feature["feature"]
            .as_str()
            .unwrap()
            .starts_with("freq_click")
        {
            assert!(feature["mean_drop"].as_f64().unwrap() < 0.1, "{feature}");
        }
    }
    let scored = app.scores(&customers_of(&app).await[0]).await;
    assert_eq!(
        scored["scores"][0]["label"], "purchase_within_30d",
        "{scored}"
    );
}

/// The ids of every customer, for scoring.
async fn customers_of(app: &TestApp) -> Vec<String> {
    app.list_all("/customers")
        .await
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Basic-plan customers stop coming after day 200; the others keep coming
/// every ten days. Inactivity for 60 days is then learnable, and scored.
async fn an_inactivity_label_is_learned_and_scored(backend: Backend) {
    const N: usize = 40;
    let app = spawn_app(backend).await;
    let plan = |c: usize| if c.is_multiple_of(2) { "basic" } else { "pro" };
    let ids = customers(&app, N, plan).await;
    let mut rows = Vec::new();
    for c in 0..N {
        let last = if plan(c) == "basic" { 200 } else { 389 };
        rows.extend((0..=last).step_by(10).map(|d| event(c, "view", d as u32)));
    }
    app.record_interactions(&rows).await;
    let with_label = app
        .post(
            "/engines/logistic/train",
            &json!({"params": {"inactive_days": 60, "label": "churn=Yes"}}),
        )
        .await;
    expect_problem(with_label, 422, "validation_failed").await;

    for engine in ["logistic", "gbdt", "tree"] {
        let model_id = app
            .train_and_activate(engine, json!({"inactive_days": 60}))
            .await;
        let metrics = app.model(&model_id).await["metrics"].clone();
        // Test cutoff day 329: every basic customer has been gone since day 200.
        assert_eq!(metrics["test_rows"], N, "{engine}: {metrics}");
        assert_eq!(metrics["test_positives"], N / 2, "{engine}: {metrics}");
        let auc = metrics["roc_auc"].as_f64().unwrap();
        assert!(auc > 0.95, "{engine}: ROC AUC {auc}");
    }
    let gone = app.scores(&ids[0]).await;
    let staying = app.scores(&ids[1]).await;
    let scores = |scored: &Value| -> Vec<(String, f64)> {
        scored["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert_eq!(s["label"], "inactive_60d", "{s}");
                let engine = s["engine"].as_str().unwrap().to_owned();
                (engine, s["probability"].as_f64().unwrap())
            })
            .collect()
    };
    let (gone, staying) = (scores(&gone), scores(&staying));
    assert_eq!(gone.len(), 3, "{gone:?}");
    // Scored as of now, the customer who left has been gone longer than any
    // training row shows: every engine must still rank them above the one
    // who stayed, and logistic extrapolates to a high probability.
    for ((engine, left), (_, stayed)) in gone.iter().zip(&staying) {
        assert!(left > stayed, "{engine}: {left} vs {stayed}");
        if engine == "logistic" {
            assert!(*left > 0.5 && *stayed < 0.5, "{engine}: {left} vs {stayed}");
        }
    }
}

crate::on_every_backend!(
    a_purchase_label_never_sees_the_window_it_predicts,
    an_inactivity_label_is_learned_and_scored,
);
