//! A customer (person or account) the teams work with.

use sea_orm::entity::prelude::*;

/// Row of `customers`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub segment: Option<String>,
    /// The segment of the active segmentation model, set when it is activated.
    pub segment_id: Option<i32>,
    pub lifecycle_stage: String,
    pub owner_id: Option<Uuid>,
    pub tags: Json,
    /// `|tag|tag|` form of `tags`, for portable filtering with LIKE.
    pub tag_index: String,
    pub attributes: Json,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
    pub erased_at: Option<DateTimeUtc>,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
