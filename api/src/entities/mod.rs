//! sea-orm entities: the database side of each resource.

pub mod app_setting;
pub mod customer;
pub mod idempotency_key;
pub mod interaction;
pub mod item;
pub mod job;
pub mod model;
pub mod model_blob;
pub mod user;
