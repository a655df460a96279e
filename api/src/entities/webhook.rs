//! An endpoint that receives signed event notifications.

use sea_orm::entity::prelude::*;

/// Row of `webhooks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub events: Json,
    /// `|type|type|` form of `events`, for portable filtering with LIKE.
    pub event_index: String,
    /// `whsec_` + base64 key; never returned after creation.
    pub secret: String,
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
