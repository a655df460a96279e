//! One module per resource; this file only mounts them.

pub mod auth;
pub mod automations;
pub mod customers;
mod filters;
pub mod health;
pub mod interactions;
pub mod items;
pub mod webhook_deliveries;
pub mod webhooks;
pub mod workflow_actions;
pub mod workflow_instances;
pub mod workflows;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every resource under the API base path.
pub fn configure(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    customers::configure(cfg);
    items::configure(cfg);
    interactions::configure(cfg);
    workflows::configure(cfg);
    workflow_instances::configure(cfg);
    workflow_actions::configure(cfg);
    automations::configure(cfg);
    webhooks::configure(cfg);
    webhook_deliveries::configure(cfg);
}

/// Base path of the API.
pub const BASE: &str = "/api/v1";
