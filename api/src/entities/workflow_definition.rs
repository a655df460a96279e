//! One version of a workflow definition; editing makes a new version.

use sea_orm::entity::prelude::*;

/// Row of `workflow_definitions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_definitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub key: String,
    pub version: i32,
    /// Whether this is the newest version of its key.
    pub latest: bool,
    pub name: String,
    pub description: Option<String>,
    pub steps: Json,
    pub transitions: Json,
    pub initial_step: String,
    pub terminal_steps: Json,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
