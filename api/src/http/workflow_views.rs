//! The workflow DTOs: definitions as clients send and read them, and
//! instances and their timeline entries as the API returns them, each
//! converted from or into the domain's types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::InstanceStatus;
use crate::domain::workflow::{
    DefinitionInput, InstanceRecord, Step, TimelineRecord, TransitionRule,
};

/// One step: who owns it and how long it may take.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Unique within the definition: lower-case letters, digits, `-` and `_`.
    pub key: String,
    pub name: String,
    /// Department acting on this step; required except on terminal steps.
    pub department: Option<String>,
    /// Hours the step may stay open before its SLA is breached (fractions allowed).
    pub sla_hours: Option<f64>,
}

/// A move the definition allows.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionSpec {
    pub from: String,
    pub to: String,
    /// Label shown to users, e.g. "Escalate to sales".
    pub name: Option<String>,
}

/// A definition as sent by clients. `key` is required on `POST /workflows`
/// and, when given on `PUT /workflows/{key}`, must match the path.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowInput {
    pub key: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub steps: Vec<StepSpec>,
    pub transitions: Vec<TransitionSpec>,
    pub initial_step: String,
    pub terminal_steps: Vec<String>,
}

impl From<StepSpec> for Step {
    fn from(s: StepSpec) -> Self {
        Self {
            key: s.key,
            name: s.name,
            department: s.department,
            sla_hours: s.sla_hours,
        }
    }
}

impl From<Step> for StepSpec {
    fn from(s: Step) -> Self {
        Self {
            key: s.key,
            name: s.name,
            department: s.department,
            sla_hours: s.sla_hours,
        }
    }
}

impl From<TransitionSpec> for TransitionRule {
    fn from(t: TransitionSpec) -> Self {
        Self {
            from: t.from,
            to: t.to,
            name: t.name,
        }
    }
}

impl From<TransitionRule> for TransitionSpec {
    fn from(t: TransitionRule) -> Self {
        Self {
            from: t.from,
            to: t.to,
            name: t.name,
        }
    }
}

impl From<WorkflowInput> for DefinitionInput {
    fn from(input: WorkflowInput) -> Self {
        Self {
            key: input.key,
            name: input.name,
            description: input.description,
            steps: input.steps.into_iter().map(Step::from).collect(),
            transitions: input
                .transitions
                .into_iter()
                .map(TransitionRule::from)
                .collect(),
            initial_step: input.initial_step,
            terminal_steps: input.terminal_steps,
        }
    }
}

/// A workflow instance as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceOut {
    pub id: Uuid,
    pub workflow_key: String,
    /// Definition version the instance started with and keeps.
    pub workflow_version: i32,
    pub workflow_name: String,
    pub customer_id: Uuid,
    pub status: InstanceStatus,
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

impl From<InstanceRecord> for InstanceOut {
    fn from(r: InstanceRecord) -> Self {
        Self {
            id: r.id,
            workflow_key: r.workflow_key,
            workflow_version: r.workflow_version,
            workflow_name: r.workflow_name,
            customer_id: r.customer_id,
            status: r.status,
            current_step: r.current_step,
            current_step_name: r.current_step_name,
            department: r.department,
            assignee_id: r.assignee_id,
            due_at: r.due_at,
            overdue: r.overdue,
            sla_breached_at: r.sla_breached_at,
            allowed_transitions: r
                .allowed_transitions
                .into_iter()
                .map(TransitionSpec::from)
                .collect(),
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            closed_at: r.closed_at,
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

impl From<TimelineRecord> for EventOut {
    fn from(r: TimelineRecord) -> Self {
        Self {
            id: r.id,
            instance_id: r.instance_id,
            kind: r.kind,
            actor_id: r.actor_id,
            from_step: r.from_step,
            to_step: r.to_step,
            assignee_id: r.assignee_id,
            comment: r.comment,
            created_at: r.created_at,
        }
    }
}
