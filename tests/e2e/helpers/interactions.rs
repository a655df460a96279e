//! Interactions: one at a time, in batches, and a customer's timeline.

use serde_json::{Value, json};

use super::app::TestApp;
use super::checks::expect_status;

impl TestApp {
    /// Records one interaction, asserting 201; returns the body.
    pub async fn record_interaction(&self, body: Value) -> Value {
        self.create("/interactions", &body).await
    }

    /// Records a batch of interactions, asserting 201; returns the summary
    /// (`created`, `ids`).
    pub async fn record_interactions(&self, rows: &[Value]) -> Value {
        let response = self
            .post("/interactions/batch", &json!({"interactions": rows}))
            .await;
        let created = expect_status(response, 201).await;
        assert_eq!(created["created"], rows.len(), "{created}");
        created
    }

    /// A customer's interactions, newest first.
    pub async fn timeline(&self, customer: &str) -> Vec<Value> {
        self.list_all(&format!("/customers/{customer}/interactions"))
            .await
    }
}
