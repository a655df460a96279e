//! Webhook secret rotation: the previous secret (sealed, like the current
//! one) keeps signing deliveries beside the new one until
//! `previous_secret_until`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{text_null, timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Webhooks {
    Table,
    PreviousSecret,
    PreviousSecretUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Webhooks::Table)
                    .add_column(text_null(Webhooks::PreviousSecret))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Webhooks::Table)
                    .add_column(timestamp_with_time_zone_null(Webhooks::PreviousSecretUntil))
                    .to_owned(),
            )
            .await
    }
}
