//! Trained models and the training job queue.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Models {
    Table,
    Id,
    Engine,
    Kind,
    Params,
    DataStats,
    Metrics,
    SizeBytes,
    Active,
    ActivatedAt,
    JobId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    CustomerId,
    CreatedAt,
    ItemId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ModelBlobs {
    Table,
    ModelId,
    Bytes,
}

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Id,
    Engine,
    Params,
    Activate,
    Status,
    Progress,
    Stage,
    ModelId,
    Error,
    Attempts,
    LeaseToken,
    LeaseExpiresAt,
    RequestedBy,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Models::Table)
                    .col(pk_uuid(Models::Id))
                    .col(string(Models::Engine))
                    .col(string(Models::Kind))
                    .col(json_binary(Models::Params))
                    .col(json_binary(Models::DataStats))
                    .col(json_binary(Models::Metrics))
                    .col(big_integer(Models::SizeBytes))
                    .col(boolean(Models::Active))
                    .col(timestamp_with_time_zone_null(Models::ActivatedAt))
                    .col(uuid_null(Models::JobId))
                    .col(timestamp_with_time_zone(Models::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_models_engine_active")
                    .table(Models::Table)
                    .col(Models::Engine)
                    .col(Models::Active)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModelBlobs::Table)
                    .col(uuid(ModelBlobs::ModelId).primary_key())
                    .col(blob(ModelBlobs::Bytes))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ModelBlobs::Table, ModelBlobs::ModelId)
                            .to(Models::Table, Models::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Serving reads a customer's items recorded since a model's data was
        // read; this index answers that without touching the table.
        manager
            .create_index(
                Index::create()
                    .name("idx_interactions_customer_created_item")
                    .table(Interactions::Table)
                    .col(Interactions::CustomerId)
                    .col(Interactions::CreatedAt)
                    .col(Interactions::ItemId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(pk_uuid(Jobs::Id))
                    .col(string(Jobs::Engine))
                    .col(json_binary(Jobs::Params))
                    .col(boolean(Jobs::Activate))
                    .col(string(Jobs::Status))
                    .col(double(Jobs::Progress))
                    .col(string_null(Jobs::Stage))
                    .col(uuid_null(Jobs::ModelId))
                    .col(text_null(Jobs::Error))
                    .col(integer(Jobs::Attempts))
                    .col(string_null(Jobs::LeaseToken))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseExpiresAt))
                    .col(uuid_null(Jobs::RequestedBy))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(Jobs::StartedAt))
                    .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_status_created")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
