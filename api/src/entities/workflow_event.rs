//! Something that happened to a workflow instance (its timeline).

use sea_orm::entity::prelude::*;

/// Row of `workflow_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub instance_id: Uuid,
    /// `started`, `transitioned`, `assigned`, `commented`, `sla_breached`, `cancelled`.
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub from_step: Option<String>,
    pub to_step: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub comment: Option<String>,
    pub created_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
