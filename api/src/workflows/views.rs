//! How instances and their timeline events look to clients and webhooks.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::definition::TransitionSpec;
use super::engine::{OPEN, Pinned};
use crate::entities::{workflow_event, workflow_instance};

/// A workflow instance as returned by the API and sent to webhooks.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceOut {
    pub id: Uuid,
    pub workflow_key: String,
    /// Definition version the instance started with and keeps.
    pub workflow_version: i32,
    pub workflow_name: String,
    pub customer_id: Uuid,
    #[schema(value_type = crate::domain::InstanceStatus)]
    pub status: String,
    pub current_step: String,
    pub current_step_name: Option<String>,
    /// Department of the current step.
    pub department: Option<String>,
    pub assignee_id: Option<Uuid>,
    /// When the current step's SLA runs out (null without SLA or when closed).
    pub due_at: Option<DateTime<Utc>>,
    /// Open and past `due_at`.
    pub overdue: bool,
    pub sla_breached_at: Option<DateTime<Utc>>,
    /// Transitions allowed from the current step.
    pub allowed_transitions: Vec<TransitionSpec>,
    /// Incremented on every change; send it as `expected_version`.
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl InstanceOut {
    /// The view of `row` running on `pinned`.
    pub fn new(row: workflow_instance::Model, pinned: &Pinned) -> Self {
        let open = row.status == OPEN;
        let step = pinned.definition.step(&row.current_step);
        Self {
            overdue: open && row.due_at.is_some_and(|due| due < Utc::now()),
            allowed_transitions: if open {
                pinned
                    .definition
                    .transitions_from(&row.current_step)
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            current_step_name: step.map(|s| s.name.clone()),
            workflow_name: pinned.row.name.clone(),
            workflow_version: pinned.row.version,
            id: row.id,
            workflow_key: row.workflow_key,
            customer_id: row.customer_id,
            status: row.status,
            current_step: row.current_step,
            department: row.department,
            assignee_id: row.assignee_id,
            due_at: row.due_at,
            sla_breached_at: row.sla_breached_at,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
        }
    }
}

/// One entry of an instance's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventOut {
    pub id: Uuid,
    pub instance_id: Uuid,
    /// `started`, `transitioned`, `assigned`, `commented`, `sla_breached` or `cancelled`.
    pub kind: String,
    /// Who did it; null for the system (SLA checker, automations).
    pub actor_id: Option<Uuid>,
    pub from_step: Option<String>,
    pub to_step: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<workflow_event::Model> for EventOut {
    fn from(row: workflow_event::Model) -> Self {
        Self {
            id: row.id,
            instance_id: row.instance_id,
            kind: row.kind,
            actor_id: row.actor_id,
            from_step: row.from_step,
            to_step: row.to_step,
            assignee_id: row.assignee_id,
            comment: row.comment,
            created_at: row.created_at,
        }
    }
}
