//! A product or service in the catalogue.

use sea_orm::entity::prelude::*;

/// Row of `items`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub tags: Json,
    /// `|tag|tag|` form of `tags`, for portable filtering with LIKE.
    pub tag_index: String,
    pub description: Option<String>,
    pub price: f64,
    pub attributes: Json,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
