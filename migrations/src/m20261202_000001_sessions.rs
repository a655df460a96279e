//! Sessions: a refresh token remembers the token it was rotated into, so
//! that a retried or concurrent refresh within the grace window gets the
//! same successor instead of revoking the sign-in; and a user can be told
//! to change a one-time password before anything else.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    MustChangePassword,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    ReplacedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::MustChangePassword).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(uuid_null(RefreshTokens::ReplacedBy))
                    .to_owned(),
            )
            .await
    }
}
