//! Customers: create, read, change, delete, erase, restore and export.

use serde_json::{Value, json};

use super::app::TestApp;
use super::checks::{expect_status, id_of};

impl TestApp {
    /// Creates a customer, asserting 201; returns the body.
    pub async fn create_customer(&self, body: Value) -> Value {
        self.create("/customers", &body).await
    }

    /// Creates a customer with only a name; returns its id.
    pub async fn customer(&self, name: &str) -> String {
        id_of(&self.create_customer(json!({"name": name})).await)
    }

    /// A customer, asserting 200.
    pub async fn get_customer(&self, id: &str) -> Value {
        self.fetch(&format!("/customers/{id}")).await
    }

    /// Changes a customer, asserting 200; returns the new body.
    pub async fn update_customer(&self, id: &str, changes: Value) -> Value {
        self.change(&format!("/customers/{id}"), &changes).await
    }

    /// Soft-deletes a customer, asserting 204.
    pub async fn delete_customer(&self, id: &str) {
        self.remove(&format!("/customers/{id}")).await;
    }

    /// Erases a customer's personal data (GDPR), asserting 204.
    pub async fn erase_customer(&self, id: &str) {
        self.remove(&format!("/customers/{id}?erase=true")).await;
    }

    /// Restores a soft-deleted customer, asserting 200.
    pub async fn restore_customer(&self, id: &str) -> Value {
        let response = self
            .post(&format!("/customers/{id}/restore"), &json!({}))
            .await;
        expect_status(response, 200).await
    }

    /// Everything held about a customer, asserting 200.
    pub async fn export_customer(&self, id: &str) -> Value {
        self.fetch(&format!("/customers/{id}/export")).await
    }

    /// The names of the customers a list query returns, sorted.
    pub async fn customer_names(&self, query: &str) -> Vec<String> {
        let mut names =
            super::checks::strings(&self.list_all(&format!("/customers?{query}")).await, "name");
        names.sort();
        names
    }
}
