//! Tuning jobs: a job's `kind` (`train` or `tune`) and its `outcome` (for a
//! tuning job, whether the winner was activated and why).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{json_null, string_len};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Kind,
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column at a time.
        for column in [
            string_len(Jobs::Kind, 8).default("train").to_owned(),
            json_null(Jobs::Outcome),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Jobs::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
