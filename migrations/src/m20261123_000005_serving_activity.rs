//! Serving keeps the interactions recorded since the active models' data was
//! read in memory, and follows the log by its `created_at`: index that, and
//! drop the per-customer covering index that serving used to read instead
//! (reads of one customer's interactions use `idx_interactions_customer_time`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_interactions_customer_created_item")
                    .table(Interactions::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_interactions_created_at")
                    .table(Interactions::Table)
                    .col(Interactions::CreatedAt)
                    .to_owned(),
            )
            .await
    }
}
