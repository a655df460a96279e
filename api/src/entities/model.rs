//! A trained model: its bytes, parameters, data statistics and offline metrics.

use sea_orm::entity::prelude::*;

/// Row of `models`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub engine: String,
    /// `recommender` or `scorer`.
    pub kind: String,
    pub params: Json,
    pub data_stats: Json,
    pub metrics: Json,
    /// Size of the stored bytes (kept apart in `model_blobs`).
    pub size_bytes: i64,
    pub active: bool,
    pub activated_at: Option<DateTimeUtc>,
    pub job_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
