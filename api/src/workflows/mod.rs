//! Cross-department workflows: validated definitions, the instance engine
//! shared by the HTTP handlers and the automations, the SLA checker and the
//! demo definitions.

pub mod definition;
pub mod demo;
pub mod engine;
pub mod sla;
pub mod views;

pub use definition::{Definition, StepSpec, TransitionSpec, WorkflowInput};
