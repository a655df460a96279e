//! One module per resource; this file only mounts them.

pub mod analytics;
pub mod api_keys;
pub mod audit_log;
pub mod auth;
pub mod automations;
pub mod customer_export;
pub mod customer_privacy;
pub mod customer_timeline;
pub mod customers;
pub mod engine_tuning;
pub mod engines;
pub mod experiments;
pub mod exposures;
mod filters;
pub mod health;
pub mod interactions;
pub mod items;
pub mod jobs;
pub mod model_reports;
pub mod models;
pub mod online_metrics;
pub mod recommendation_filters;
mod recommendation_lists;
pub mod recommendation_rules;
pub mod recommendations;
pub mod scores;
pub mod segments;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;
pub mod workflow_actions;
pub mod workflow_instances;
pub mod workflows;

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts every resource under the API base path. The router tries routes in
/// this order, running a regular expression for each one with a path
/// parameter, so the prediction routes, the hottest, come first (none of
/// their paths can be taken for another route's).
pub fn configure(cfg: &mut ServiceConfig) {
    recommendations::configure(cfg);
    scores::configure(cfg);
    auth::configure(cfg);
    users::configure(cfg);
    api_keys::configure(cfg);
    audit_log::configure(cfg);
    customers::configure(cfg);
    customer_privacy::configure(cfg);
    customer_export::configure(cfg);
    customer_timeline::configure(cfg);
    items::configure(cfg);
    interactions::configure(cfg);
    engines::configure(cfg);
    engine_tuning::configure(cfg);
    jobs::configure(cfg);
    models::configure(cfg);
    model_reports::configure(cfg);
    online_metrics::configure(cfg);
    experiments::configure(cfg);
    exposures::configure(cfg);
    recommendation_rules::configure(cfg);
    segments::configure(cfg);
    analytics::configure(cfg);
    workflows::configure(cfg);
    workflow_instances::configure(cfg);
    workflow_actions::configure(cfg);
    automations::configure(cfg);
    webhooks::configure(cfg);
    webhook_deliveries::configure(cfg);
}

/// Base path of the API.
pub const BASE: &str = "/api/v1";
