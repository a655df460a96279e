//! A customer moving from one segment to another.

use sea_orm::entity::prelude::*;

/// Row of `segment_changes`: written when an activation or an assignment
/// changes a customer's `segment_id`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "segment_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub from_segment: Option<i32>,
    pub to_segment: Option<i32>,
    /// The segmentation model that made the change.
    pub model_id: Option<Uuid>,
    pub changed_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
