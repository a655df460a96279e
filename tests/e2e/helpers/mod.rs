//! What the tests are written with: [`spawn_app`] starts the real service
//! and signs in as the admin; the checks assert a status or a problem; and
//! one file per resource adds typed functions to [`TestApp`], each asserting
//! the status it expects, so that a scenario reads like the product's use:
//!
//! ```ignore
//! let (app, trained) = spawn_trained(backend).await;
//! let ada = app.customer("Ada").await;
//! app.record_interaction(json!({"customer_id": ada, "kind": "view"})).await;
//! let list = app.recommend(&ada, "k=3").await;
//! ```
//!
//! Requests whose outcome is the point of a test stay plain (`app.post`,
//! `app.get_as`), checked with [`expect_status`] or [`expect_problem`].

mod access;
mod app;
mod checks;
mod customers;
mod db;
mod import;
mod interactions;
mod items;
mod models;
mod template;
mod trained;
mod webhooks;
mod workflows;

pub use access::Person;
pub use app::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TEST_MASTER_KEY, TestApp, USER_PASSWORD, spawn_app,
    spawn_app_with, spawn_app_with_dns, spawn_killable_replica, spawn_replica, spawn_replica_with,
};
pub use checks::{error_fields, eventually, expect_problem, expect_status, id_of, strings};
pub use import::write;
pub use models::{CUSTOMERS, ITEMS, listed};
pub use trained::{spawn_trained, spawn_trained_with};
pub use webhooks::{FAST, SLOW_FAILURE, receiver, signed_by, verify};
pub use workflows::{demo_definition, transition};
