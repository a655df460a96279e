//! Automation triggers: what makes an automation start a workflow.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::enums::{InteractionKind, LifecycleStage};

/// What makes an automation fire.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// An interaction of `kind` is recorded, with a rating of at most
    /// `max_rating` when that is given.
    Interaction {
        kind: InteractionKind,
        max_rating: Option<i16>,
    },
    /// A customer's score rises to or above `threshold` (from below, or on
    /// its first evaluation), from `model_id` or from any model.
    Score {
        model_id: Option<Uuid>,
        threshold: f64,
    },
    /// A customer's lifecycle stage changes to `to` (from `from`, when given).
    LifecycleStage {
        from: Option<LifecycleStage>,
        to: LifecycleStage,
    },
}

impl Trigger {
    /// The stored `trigger_type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Interaction { .. } => "interaction",
            Self::Score { .. } => "score",
            Self::LifecycleStage { .. } => "lifecycle_stage",
        }
    }

    /// Field errors of the trigger's values.
    pub fn problems(&self) -> Vec<(&'static str, &'static str)> {
        match self {
            Self::Interaction {
                max_rating: Some(r),
                ..
            } if !(1..=5).contains(r) => vec![("when.max_rating", "must be between 1 and 5")],
            Self::Score { threshold, .. } if !(0.0..=1.0).contains(threshold) => {
                vec![("when.threshold", "must be a probability between 0 and 1")]
            }
            Self::LifecycleStage { from: Some(f), to } if f == to => {
                vec![("when.to", "must differ from `from`")]
            }
            _ => Vec::new(),
        }
    }
}
