//! The webhook contract of `workflow.*` events: the instance as it stands
//! after the change and the timeline entry that records it. Kept apart
//! from the API's views so that a change to a response cannot silently
//! change what subscribers receive.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::TransitionRule;
use crate::domain::InstanceStatus;

/// A workflow instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceRecord {
    /// Id.
    pub id: Uuid,
    /// The workflow's key.
    pub workflow_key: String,
    /// Definition version the instance started with and keeps.
    pub workflow_version: i32,
    /// The workflow's name in that version.
    pub workflow_name: String,
    /// The customer it runs on.
    pub customer_id: Uuid,
    /// Open, completed or cancelled.
    pub status: InstanceStatus,
    /// Key of the current step.
    pub current_step: String,
    /// Name of the current step.
    pub current_step_name: Option<String>,
    /// Department of the current step.
    pub department: Option<String>,
    /// Assigned user.
    pub assignee_id: Option<Uuid>,
    /// When the current step's SLA runs out (none without SLA or when closed).
    pub due_at: Option<DateTime<Utc>>,
    /// Open and past `due_at`.
    pub overdue: bool,
    /// When the current step's SLA was breached.
    pub sla_breached_at: Option<DateTime<Utc>>,
    /// Transitions allowed from the current step (none once closed).
    pub allowed_transitions: Vec<TransitionRule>,
    /// Incremented on every change.
    pub version: i32,
    /// Who started it.
    pub created_by: Option<Uuid>,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Completed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
}

/// One entry of an instance's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineRecord {
    /// Id.
    pub id: Uuid,
    /// The instance.
    pub instance_id: Uuid,
    /// `started`, `transitioned`, `assigned`, `commented`, `sla_breached` or `cancelled`.
    pub kind: String,
    /// Who did it; none for the system (SLA checker, automations).
    pub actor_id: Option<Uuid>,
    /// Step left.
    pub from_step: Option<String>,
    /// Step entered.
    pub to_step: Option<String>,
    /// Assignee set.
    pub assignee_id: Option<Uuid>,
    /// Comment or start note.
    pub comment: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl TimelineRecord {
    /// The entry as a caller without the right to personal data sees it:
    /// the comment (free text, often about the person) left out.
    pub fn masked(self) -> Self {
        Self {
            comment: None,
            ..self
        }
    }
}

/// The payload of a `workflow.*` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowChange {
    /// The instance after the change.
    pub instance: InstanceRecord,
    /// The timeline entry recording it.
    pub event: TimelineRecord,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The webhook contract: these keys, whatever the API's views become.
    #[test]
    fn payload_keys_are_the_contract() {
        let now = Utc::now();
        let change = WorkflowChange {
            instance: InstanceRecord {
                id: Uuid::nil(),
                workflow_key: "churn-save".into(),
                workflow_version: 1,
                workflow_name: "Churn save".into(),
                customer_id: Uuid::nil(),
                status: InstanceStatus::Open,
                current_step: "triage".into(),
                current_step_name: Some("Triage".into()),
                department: Some("support".into()),
                assignee_id: None,
                due_at: None,
                overdue: false,
                sla_breached_at: None,
                allowed_transitions: vec![TransitionRule {
                    from: "triage".into(),
                    to: "offer".into(),
                    name: None,
                }],
                version: 1,
                created_by: None,
                created_at: now,
                updated_at: now,
                closed_at: None,
            },
            event: TimelineRecord {
                id: Uuid::nil(),
                instance_id: Uuid::nil(),
                kind: "started".into(),
                actor_id: None,
                from_step: None,
                to_step: Some("triage".into()),
                assignee_id: None,
                comment: None,
                created_at: now,
            },
        };
        let value = serde_json::to_value(&change).unwrap();
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k.join(",")
        };
        assert_eq!(keys(&value), "event,instance");
        assert_eq!(
            keys(&value["instance"]),
            "allowed_transitions,assignee_id,closed_at,created_at,created_by,current_step,\
             current_step_name,customer_id,department,due_at,id,overdue,sla_breached_at,status,\
             updated_at,version,workflow_key,workflow_name,workflow_version"
        );
        assert_eq!(
            keys(&value["event"]),
            "actor_id,assignee_id,comment,created_at,from_step,id,instance_id,kind,to_step"
        );
        assert_eq!(value["instance"]["status"], "open");
    }
}
