//! The HTTP layer: handlers that extract, call one service function and
//! shape the response; the DTOs and extractors; the one [`error::ApiError`]
//! mapping every domain, database and engine error; the OpenAPI document.
//!
//! Nothing outside this module imports from it.

pub mod contract;
pub mod error;
pub mod etag;
pub mod extract;
pub mod idempotency;
pub mod nul_guard;
pub mod openapi;
pub mod operation_ids;
pub mod pagination;
pub mod routes;
pub mod schemas;
pub mod startup;
pub mod workflow_views;
