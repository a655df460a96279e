//! The HTTP layer: handlers that extract, call one service function and
//! shape the response; the DTOs and extractors; the one [`error::ApiError`]
//! mapping every domain, database and engine error; the OpenAPI document.
//!
//! Nothing outside this module imports from it.

pub mod error;
pub mod etag;
pub mod extract;
pub mod idempotency;
pub mod openapi;
pub mod pagination;
pub mod routes;
pub mod schemas;
pub mod startup;
