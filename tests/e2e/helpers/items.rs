//! Items of the catalogue.

use serde_json::{Value, json};

use super::app::TestApp;
use super::checks::id_of;

impl TestApp {
    /// Creates an item, asserting 201; returns the body.
    pub async fn create_item(&self, body: Value) -> Value {
        self.create("/items", &body).await
    }

    /// Creates an item with a SKU and a name; returns its id.
    pub async fn item(&self, sku: &str, name: &str) -> String {
        id_of(&self.create_item(json!({"sku": sku, "name": name})).await)
    }

    /// Changes an item, asserting 200; returns the new body.
    pub async fn update_item(&self, id: &str, changes: Value) -> Value {
        self.change(&format!("/items/{id}"), &changes).await
    }

    /// Retires an item (`active: false`), asserting 200.
    pub async fn deactivate_item(&self, id: &str) -> Value {
        self.update_item(id, json!({"active": false})).await
    }

    /// Deletes an item, asserting 204.
    pub async fn delete_item(&self, id: &str) {
        self.remove(&format!("/items/{id}")).await;
    }
}
