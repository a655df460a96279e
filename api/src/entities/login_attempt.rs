//! A failed sign-in, counted by the shared login rate limit.

use sea_orm::entity::prelude::*;

/// Row of `login_attempts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The e-mail tried, lower-cased.
    pub email: String,
    pub client_addr: String,
    pub attempted_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
