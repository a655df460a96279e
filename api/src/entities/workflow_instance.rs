//! A workflow running on one customer, pinned to the definition version it started with.

use sea_orm::entity::prelude::*;

/// Row of `workflow_instances`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_instances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub definition_id: Uuid,
    pub workflow_key: String,
    pub customer_id: Uuid,
    /// `open`, `completed` or `cancelled`.
    pub status: String,
    pub current_step: String,
    /// Department of the current step.
    pub department: Option<String>,
    pub assignee_id: Option<Uuid>,
    /// When the current step's SLA runs out.
    pub due_at: Option<DateTimeUtc>,
    /// Set once when the current step's SLA was found breached.
    pub sla_breached_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
