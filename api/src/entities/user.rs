//! A person who signs in.

use sea_orm::entity::prelude::*;

/// Row of `users`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub role: String,
    pub department: Option<String>,
    pub password_hash: String,
    pub active: bool,
    pub token_version: i32,
    /// Set for a one-time password (`rapport user create`, or an admin's
    /// choice): until the user changes it, only `/me`, `/me/password` and
    /// signing in and out work.
    pub must_change_password: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated from users.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
