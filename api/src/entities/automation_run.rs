//! One firing of an automation.

use sea_orm::entity::prelude::*;

/// Row of `automation_runs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub automation_id: Uuid,
    pub customer_id: Uuid,
    /// `started` or `skipped`.
    pub outcome: String,
    pub instance_id: Option<Uuid>,
    pub detail: Option<String>,
    pub created_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
