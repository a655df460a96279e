//! A segment of the active segmentation model, with the name users gave it.

use sea_orm::entity::prelude::*;

/// Row of `segments`: one per segment id; the name outlives refits that
/// keep the id.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    /// The stable id the model gave the segment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub name: Option<String>,
    /// The model whose segment it is.
    pub model_id: Uuid,
    /// Customers assigned to it.
    pub size: i64,
    /// The engine's profile (traits and summary).
    pub profile: Json,
    /// The centre in original units, by feature name.
    pub centre: Json,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
