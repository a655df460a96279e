//! A rule that starts a workflow when something happens to a customer.

use sea_orm::entity::prelude::*;

/// Row of `automations`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `interaction`, `score` or `lifecycle_stage`, for lookup by event.
    pub trigger_type: String,
    pub trigger: Json,
    pub workflow_key: String,
    pub assignee_id: Option<Uuid>,
    pub active: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
