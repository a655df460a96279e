//! sea-orm entities: the database side of each resource.

pub mod api_key;
pub mod app_setting;
pub mod audit_entry;
pub mod automation;
pub mod automation_mark;
pub mod automation_run;
pub mod customer;
pub mod idempotency_key;
pub mod interaction;
pub mod item;
pub mod job;
pub mod login_attempt;
pub mod model;
pub mod model_blob;
pub mod recommendation_rule;
pub mod refresh_token;
pub mod segment;
pub mod segment_change;
pub mod user;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_delivery;
pub mod workflow_definition;
pub mod workflow_event;
pub mod workflow_instance;
