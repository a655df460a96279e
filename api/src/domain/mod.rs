//! Domain types and rules: plain data that knows nothing of HTTP, the
//! database or the OpenAPI document. Validated inputs are built from the
//! HTTP layer's DTOs (and from imported rows) by `TryFrom`, so the services
//! below only ever hold valid values.
//!
//! May use: `serde`, `chrono`, `uuid`, `serde_json`, `thiserror`, `anyhow`
//! and the engine crates' plain types. Never `actix-web`, `sea-orm` or
//! `utoipa` (the layer test in `crate::layers` checks it).

pub mod automation;
pub mod customer;
pub mod enums;
pub mod error;
pub mod error_code;
pub mod event;
pub mod experiment;
pub mod interaction;
pub mod item;
pub mod masking;
pub mod precondition;
pub mod recommendation_rule;

pub mod user;
pub mod validation;
pub mod webhook;
pub mod workflow;

pub use enums::{
    DeliveryStatus, EventType, InstanceStatus, InteractionKind, JobStatus, LifecycleStage, Role,
    RuleAction, StringEnum, UnknownValue,
};
pub use error::{DomainError, FieldError};
pub use error_code::ErrorCode;
pub use precondition::IfMatch;
