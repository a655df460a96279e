//! Workflows: definitions (steps owned by departments, the transitions
//! between them) with their validation, and what subscribers receive when
//! an instance changes.

pub mod definition;
pub mod records;

pub use definition::{Definition, DefinitionInput, Step, TransitionRule, valid_key};
pub use records::{InstanceRecord, TimelineRecord, WorkflowChange};
