//! The stored first response of a creating POST, replayed on retries.

use sea_orm::entity::prelude::*;

/// Row of `idempotency_keys`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub actor: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Method and route the key was first used on.
    pub scope: String,
    /// SHA-256 of the first request body.
    pub request_hash: String,
    pub status: i16,
    pub location: Option<String>,
    pub body: String,
    pub created_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
