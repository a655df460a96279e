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
    /// `whsec_` + base64 key, sealed (`enc:v1:...`); never returned after
    /// creation or rotation.
    pub secret: String,
    /// The secret before the last rotation, sealed, while it still signs.
    pub previous_secret: Option<String>,
    /// Until when [`Model::previous_secret`] signs deliveries too.
    pub previous_secret_until: Option<DateTimeUtc>,
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
