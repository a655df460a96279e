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
    /// A customer enters segment `segment_id` of the active segmentation.
    SegmentEntered { segment_id: i32 },
    /// A survey answer is a detractor's (NPS 0 to 6, CSAT 1 or 2).
    Detractor {},
}

impl Trigger {
    /// The stored `trigger_type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Interaction { .. } => "interaction",
            Self::Score { .. } => "score",
            Self::LifecycleStage { .. } => "lifecycle_stage",
            Self::SegmentEntered { .. } => "segment_entered",
            Self::Detractor {} => "detractor",
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
            Self::SegmentEntered { segment_id } if *segment_id < 0 => {
                vec![("when.segment_id", "must not be negative")]
            }
            _ => Vec::new(),
        }
    }
}

/// What an automation is made of, as a writer gives it (not yet checked).
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationFields {
    /// 1 to 255 characters.
    pub name: String,
    /// What makes it fire.
    pub when: Trigger,
    /// The workflow it starts on the customer.
    pub workflow_key: String,
    /// Assigned when they may act on the initial step.
    pub assignee_id: Option<Uuid>,
    /// Whether it fires; true when absent.
    pub active: Option<bool>,
}

impl AutomationFields {
    /// The rules the fields meet on their own (the workflow and assignee
    /// are checked against the store by the service).
    pub fn check(&self) -> Result<(), super::DomainError> {
        let mut checks = super::validation::Checks::default();
        checks.text("name", &self.name, super::validation::SHORT_TEXT);
        for (field, message) in self.when.problems() {
            checks.fail(field, message);
        }
        checks.finish()
    }
}

/// Parts to change; absent ones are left alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutomationChanges {
    /// New name.
    pub name: Option<String>,
    /// New trigger.
    pub when: Option<Trigger>,
    /// New workflow and assignee, together.
    pub then: Option<(String, Option<Uuid>)>,
    /// New active flag.
    pub active: Option<bool>,
}

impl AutomationChanges {
    /// The fields of `current` with these changes applied.
    pub fn apply(self, current: &AutomationRecord) -> AutomationFields {
        let (workflow_key, assignee_id) = self
            .then
            .unwrap_or_else(|| (current.workflow_key.clone(), current.assignee_id));
        AutomationFields {
            name: self.name.unwrap_or_else(|| current.name.clone()),
            when: self.when.unwrap_or_else(|| current.when.clone()),
            workflow_key,
            assignee_id,
            active: Some(self.active.unwrap_or(current.active)),
        }
    }
}

/// A stored automation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutomationRecord {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// What makes it fire.
    pub when: Trigger,
    /// The workflow it starts.
    pub workflow_key: String,
    /// Who gets the new instance.
    pub assignee_id: Option<Uuid>,
    /// Whether it fires.
    pub active: bool,
    /// Incremented on every change.
    pub version: i32,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
