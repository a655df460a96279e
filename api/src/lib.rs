//! The Rapport service: REST API, command line and background work.
//!
//! `startup` builds the HTTP server, `routes` holds one module per resource,
//! and the shared conventions (errors, pagination, concurrency control,
//! idempotency, the role policy) live in their own modules so that every
//! handler uses the same implementation.

pub mod audit;
pub mod auth;
pub mod automations;
pub mod background;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod demo;
pub mod entities;
pub mod error;
pub mod etag;
pub mod hooks;
pub mod idempotency;
pub mod metrics;
pub mod ml;
pub mod openapi;
pub mod outbox;
pub mod pagination;
pub mod policy;
pub mod privacy;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validation;
pub mod webhooks;
pub mod workflows;
