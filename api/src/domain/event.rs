//! Webhook events: each event type with the payload it carries. These are
//! the webhook contract (version [`PAYLOAD_VERSION`]), kept apart from the
//! API's response types so that a change to a response cannot silently
//! change what subscribers receive.

use serde::Serialize;
use uuid::Uuid;

use super::customer::CustomerRecord;
use super::enums::EventType;
use super::interaction::InteractionRecord;
use super::workflow::WorkflowChange;

/// The version of every payload below, sent in each event's envelope.
pub const PAYLOAD_VERSION: u32 = 1;

/// What one imported file did (`import.completed`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSummary {
    /// `customers`, `items` or `interactions`.
    pub kind: String,
    /// The file's name as given.
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// Data rows read.
    pub read: usize,
    /// Rows written.
    pub written: usize,
    /// Rows skipped.
    pub skipped: usize,
    /// Skipped rows per reason.
    pub skipped_by_reason: Vec<(String, usize)>,
    /// The first errors, with their line numbers.
    pub first_errors: Vec<String>,
}

/// An automation fired (`automation.fired`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AutomationFired {
    /// The automation.
    pub automation_id: Uuid,
    /// The recorded run.
    pub run_id: Uuid,
    /// The customer it fired on.
    pub customer_id: Uuid,
    /// `started` or `skipped`.
    pub outcome: String,
    /// The workflow instance started, or already open.
    pub instance_id: Option<Uuid>,
    /// Why it fired, or why it started nothing.
    pub detail: Option<String>,
}

/// A model became the active one of its engine (`model.activated`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelActivated {
    /// The model.
    pub model_id: Uuid,
    /// Its engine.
    pub engine: String,
}

/// A customer's personal data was erased (`customer.erased`): ids only, so
/// that systems that received the person's data can erase their copies; no
/// personal field (not even the external id, which the caller's own systems
/// may have made personal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerErased {
    /// The Rapport id of the customer.
    pub customer_id: Uuid,
    /// When the data was erased.
    pub erased_at: chrono::DateTime<chrono::Utc>,
}

/// A customer moved between segments (`customer.segment_changed`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentChanged {
    /// The customer.
    pub customer_id: Uuid,
    /// The segment before (none for a first placement).
    pub from_segment: Option<i32>,
    /// The segment after (none when the customer no longer has one).
    pub to_segment: Option<i32>,
    /// The segmentation model that placed them.
    pub model_id: Uuid,
}

/// An event and its payload; the constructors pair each type with its payload.
#[derive(Debug, Clone)]
pub enum EventPayload {
    /// `customer.created` and `customer.updated`.
    Customer(EventType, CustomerRecord),
    /// `customer.erased`.
    CustomerErased(CustomerErased),
    /// `interaction.created`.
    Interaction(InteractionRecord),
    /// `import.completed`.
    Import(ImportSummary),
    /// `workflow.*`: the instance after the change and its timeline entry.
    Workflow(EventType, Box<WorkflowChange>),
    /// `automation.fired`.
    AutomationFired(AutomationFired),
    /// `model.activated`.
    ModelActivated(ModelActivated),
    /// `customer.segment_changed`.
    SegmentChanged(SegmentChanged),
    /// `survey.answered`: the survey interaction.
    SurveyAnswered(InteractionRecord),
}

impl EventPayload {
    /// `customer.created`.
    pub fn customer_created(record: CustomerRecord) -> Self {
        Self::Customer(EventType::CustomerCreated, record)
    }

    /// `customer.updated`.
    pub fn customer_updated(record: CustomerRecord) -> Self {
        Self::Customer(EventType::CustomerUpdated, record)
    }

    /// The event's type.
    pub fn event_type(&self) -> EventType {
        match self {
            Self::Customer(kind, _) | Self::Workflow(kind, _) => *kind,
            Self::CustomerErased(_) => EventType::CustomerErased,
            Self::Interaction(_) => EventType::InteractionCreated,
            Self::Import(_) => EventType::ImportCompleted,
            Self::AutomationFired(_) => EventType::AutomationFired,
            Self::ModelActivated(_) => EventType::ModelActivated,
            Self::SegmentChanged(_) => EventType::CustomerSegmentChanged,
            Self::SurveyAnswered(_) => EventType::SurveyAnswered,
        }
    }

    /// The `data` of the event's envelope.
    pub fn data(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Self::Customer(_, record) => serde_json::to_value(record),
            Self::CustomerErased(erased) => serde_json::to_value(erased),
            Self::Interaction(record) | Self::SurveyAnswered(record) => {
                serde_json::to_value(record)
            }
            Self::Import(summary) => serde_json::to_value(summary),
            Self::Workflow(_, change) => serde_json::to_value(change),
            Self::AutomationFired(fired) => serde_json::to_value(fired),
            Self::ModelActivated(activated) => serde_json::to_value(activated),
            Self::SegmentChanged(changed) => serde_json::to_value(changed),
        }
    }
}
