//! An opaque refresh token, stored as a hash; tokens of one sign-in share a family.

use sea_orm::entity::prelude::*;

/// Row of `refresh_tokens`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// Shared by every token descended from one sign-in.
    pub family_id: Uuid,
    /// SHA-256 of the token, base64url.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// Set when the token was rotated (it may not be presented again).
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The token this one was rotated into: what a retry within the grace
    /// window gets again.
    pub replaced_by: Option<Uuid>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
