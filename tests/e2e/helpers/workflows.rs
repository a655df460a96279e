//! Workflow definitions and instances, and the automations that start them.

use rapport_api::demo::workflows as demo;
use reqwest::Response;
use serde_json::{Value, json};

use super::app::TestApp;
use super::checks::expect_status;

/// The body of a transition to `to` from `version`.
pub fn transition(to: &str, version: &Value) -> Value {
    json!({"to": to, "expected_version": version, "comment": "moving on"})
}

/// A demo workflow definition as JSON (`churn-save` or `lead-handoff`).
pub fn demo_definition(key: &str) -> Value {
    let input = match key {
        "churn-save" => demo::churn_save(),
        "lead-handoff" => demo::lead_handoff(),
        other => panic!("no demo workflow {other}"),
    };
    serde_json::to_value(input).expect("definition as JSON")
}

impl TestApp {
    /// Defines both demo workflows (`churn-save`, `lead-handoff`), asserting 201.
    pub async fn define_demo_workflows(&self) {
        for input in demo::definitions() {
            let body = serde_json::to_value(input).expect("definition as JSON");
            self.create("/workflows", &body).await;
        }
    }

    /// Starts `workflow` on `customer` as the admin, asserting 201.
    pub async fn start_workflow_for(&self, workflow: &str, customer: &str) -> Value {
        self.create(
            "/workflow-instances",
            &json!({"workflow_key": workflow, "customer_id": customer}),
        )
        .await
    }

    /// Starts `workflow` on a new customer as the admin; returns the instance.
    pub async fn start_workflow(&self, workflow: &str) -> Value {
        let customer = self.customer("Someone").await;
        self.start_workflow_for(workflow, &customer).await
    }

    /// The instance as it is now, asserting 200.
    pub async fn instance(&self, id: &str) -> Value {
        self.fetch(&format!("/workflow-instances/{id}")).await
    }

    /// An instance's events, oldest first.
    pub async fn instance_events(&self, id: &str) -> Vec<Value> {
        self.list_all(&format!("/workflow-instances/{id}/events"))
            .await
    }

    /// Moves an instance as `token`, whatever the outcome.
    pub async fn try_transition(&self, token: &str, id: &str, body: &Value) -> Response {
        self.post_as(
            token,
            &format!("/workflow-instances/{id}/transitions"),
            body,
        )
        .await
    }

    /// Moves an instance as the admin, asserting 200; returns it.
    pub async fn transition(&self, id: &str, to: &str, version: &Value) -> Value {
        let response = self
            .try_transition(&self.token, id, &transition(to, version))
            .await;
        expect_status(response, 200).await
    }

    /// The open instances of `workflow` on `customer`.
    pub async fn open_instances(&self, customer: &str, workflow: &str) -> Vec<Value> {
        self.list_all(&format!(
            "/workflow-instances?customer_id={customer}&workflow_key={workflow}&status=open"
        ))
        .await
    }

    /// Creates an automation, asserting 201.
    pub async fn create_automation(&self, rule: Value) -> Value {
        self.create("/automations", &rule).await
    }

    /// The outcome of every run of an automation, oldest first.
    pub async fn automation_outcomes(&self, automation: &Value) -> Vec<String> {
        let id = automation["id"].as_str().expect("automation id");
        let mut runs = self
            .list_all(&format!("/automations/{id}/runs?sort=created_at"))
            .await;
        runs.sort_by_key(|r| r["created_at"].as_str().expect("created_at").to_owned());
        super::checks::strings(&runs, "outcome")
    }
}
