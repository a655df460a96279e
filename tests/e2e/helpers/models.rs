//! Engines, training jobs, models and what they serve: recommendations,
//! similar items and scores.

use std::time::Duration;

use serde_json::{Value, json};

use super::app::TestApp;
use super::checks::{expect_status, id_of};

/// The ids of a seeded catalogue, in creation order.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// `Customer 0` to `Customer 29`; every third (0, 3, ...) churned.
    pub customers: Vec<String>,
    /// `Item 0` to `Item 11`; item `i` is in group `i % 3`.
    pub items: Vec<String>,
}

/// The 30 customers of [`TestApp::seed_catalogue`].
pub const CUSTOMERS: usize = 30;
/// The 12 items of [`TestApp::seed_catalogue`].
pub const ITEMS: usize = 12;

impl TestApp {
    /// A small catalogue with taste structure: customer `c` likes the items
    /// of group `c % 3`, and every third customer churned (fewer purchases,
    /// low ratings).
    pub async fn seed_catalogue(&self) -> Catalogue {
        let mut items = Vec::new();
        for i in 0..ITEMS {
            let body = json!({"sku": format!("SKU-{i:02}"), "name": format!("Item {i}"),
                "category": format!("group-{}", i % 3),
                "description": format!("a fine item of group {}", i % 3), "price": 10 + i});
            items.push(id_of(&self.create_item(body).await));
        }
        let mut customers = Vec::new();
        let mut rows = Vec::new();
        for c in 0..CUSTOMERS {
            let churned = c % 3 == 0;
            let body = json!({"name": format!("Customer {c}"), "external_id": format!("c-{c:02}"),
                "attributes": {"tenure_months": (c * 7) % 48 + 1,
                               "contract": if c % 2 == 0 { "monthly" } else { "yearly" },
                               "churn": if churned { "Yes" } else { "No" }}});
            customers.push(id_of(&self.create_customer(body).await));
            for (n, i) in (0..ITEMS).filter(|i| i % 3 == c % 3).enumerate() {
                if (c + n) % 4 == 3 {
                    continue;
                }
                rows.push(json!({"customer_external_id": format!("c-{c:02}"),
                    "item_sku": format!("SKU-{i:02}"),
                    "kind": if churned { "view" } else { "purchase" }, "value": 12.5,
                    "occurred_at": format!("2026-0{}-1{}T10:00:00Z", 1 + n % 8, c % 10)}));
            }
            // The last interactions are on different days: with one day for
            // everyone, recency has no spread and scores drift with the clock.
            rows.push(
                json!({"customer_external_id": format!("c-{c:02}"), "kind": "rating",
                "item_sku": format!("SKU-{:02}", c % 3), "rating": if churned { 1 } else { 5 },
                "occurred_at": format!("2026-09-{:02}T10:00:00Z", 1 + c % 28)}),
            );
        }
        self.record_interactions(&rows).await;
        Catalogue { customers, items }
    }

    /// The engines `GET /engines` lists.
    pub async fn engines(&self) -> Vec<Value> {
        let engines = self.fetch("/engines").await;
        engines.as_array().expect("engine list").clone()
    }

    /// Queues a training job (`{"params": ..., "activate": ...}`), asserting
    /// 202 and its `Location`; returns the job id.
    pub async fn queue_training(&self, engine: &str, body: &Value) -> String {
        let response = self.post(&format!("/engines/{engine}/train"), body).await;
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().expect("ASCII location").to_owned());
        let accepted = expect_status(response, 202).await;
        let job_id = accepted["job_id"].as_str().expect("job_id").to_owned();
        assert_eq!(location, Some(format!("/api/v1/jobs/{job_id}")));
        job_id
    }

    /// Polls a job until it finishes; returns it, failing if it failed.
    pub async fn wait_for_job(&self, job_id: &str) -> Value {
        for _ in 0..600 {
            let job = self.fetch(&format!("/jobs/{job_id}")).await;
            match job["status"].as_str().expect("job status") {
                "succeeded" => return job,
                "failed" => panic!("training job failed: {job}"),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("training job {job_id} did not finish in time");
    }

    /// Trains `engine` and waits for the job; returns the finished job.
    pub async fn train(&self, engine: &str, body: Value) -> Value {
        let job_id = self.queue_training(engine, &body).await;
        self.wait_for_job(&job_id).await
    }

    /// Trains `engine` with `params`, then activates the model; returns its id.
    pub async fn train_and_activate(&self, engine: &str, params: Value) -> String {
        let job = self.train(engine, json!({"params": params})).await;
        let model_id = job["model_id"].as_str().expect("model_id").to_owned();
        self.activate_model(&model_id).await;
        model_id
    }

    /// A model, asserting 200.
    pub async fn model(&self, id: &str) -> Value {
        self.fetch(&format!("/models/{id}")).await
    }

    /// Activates a model, asserting 200 and that it is active.
    pub async fn activate_model(&self, id: &str) -> Value {
        let response = self
            .post(&format!("/models/{id}/activate"), &json!({}))
            .await;
        let activated = expect_status(response, 200).await;
        assert_eq!(activated["active"], true, "{activated}");
        activated
    }

    /// Recommendations for a customer (`query`: `k=3&engine=...`), asserting 200.
    pub async fn recommend(&self, customer: &str, query: &str) -> Value {
        self.fetch(&format!("/customers/{customer}/recommendations?{query}"))
            .await
    }

    /// Items similar to an item (`query`: `k=2&engine=...`), asserting 200.
    pub async fn similar(&self, item: &str, query: &str) -> Value {
        self.fetch(&format!("/items/{item}/similar?{query}")).await
    }

    /// A customer's scores, asserting 200.
    pub async fn scores(&self, customer: &str) -> Value {
        self.fetch(&format!("/customers/{customer}/scores")).await
    }

    /// Scores customers in a batch, asserting 200.
    pub async fn score_batch(&self, customers: &[&str]) -> Value {
        let response = self
            .post("/scores/batch", &json!({"customer_ids": customers}))
            .await;
        expect_status(response, 200).await
    }
}

/// Item ids of a recommendation or similar-items list.
pub fn listed(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list}"))
        .iter()
        .map(|i| i["item_id"].as_str().expect("item_id").to_owned())
        .collect()
}
