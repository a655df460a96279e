//! `deferred_rebuilds`: the statements that restore what a bulk load of
//! interactions set aside (secondary indexes, foreign keys), one row each,
//! written in the transaction that sets them aside and deleted in the one
//! that restores them, so a load cut short is finished by the next process
//! that opens the database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum DeferredRebuilds {
    Table,
    Name,
    Statement,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DeferredRebuilds::Table)
                    .if_not_exists()
                    .col(string_len(DeferredRebuilds::Name, 128).primary_key())
                    .col(text(DeferredRebuilds::Statement))
                    .to_owned(),
            )
            .await
    }
}
