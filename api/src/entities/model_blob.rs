//! The bytes of a model, kept apart so listing models never reads them.

use sea_orm::entity::prelude::*;

/// Row of `model_blobs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "model_blobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub model_id: Uuid,
    /// The serving form: id maps plus the engine's own bytes.
    pub bytes: Vec<u8>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
