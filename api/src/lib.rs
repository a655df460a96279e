//! The Rapport service: REST API, command line and background work, in
//! layers whose dependencies point one way:
//!
//! - [`domain`]: plain types and rules (enums, validated inputs, errors);
//! - [`services`]: one function per use case, owning its transaction and
//!   everything a write implies (audit, outbox, automations, serving cache);
//! - [`http`]: handlers that extract, call a service and shape the response,
//!   their DTOs, the OpenAPI document and the one `ApiError`;
//! - [`workers`] and [`cli`]: background loops and the `rapport` commands,
//!   which call the same services.
//!
//! Storage ([`entities`], [`db`]), identity ([`auth`], [`policy`]), models
//! ([`ml`]) and webhook delivery sit beside the services and are used by
//! them; no module outside [`http`] imports from it (see `layers`).

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod http;
#[cfg(test)]
mod layers;
pub mod metrics;
pub mod ml;
pub mod policy;
pub mod secrets;
pub mod services;
pub mod state;
pub mod telemetry;
pub mod webhooks;
pub mod workers;
