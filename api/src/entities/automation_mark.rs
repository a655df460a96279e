//! Whether a customer's score was last seen above a score automation's threshold.

use sea_orm::entity::prelude::*;

/// Row of `automation_marks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub automation_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    pub above: bool,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
