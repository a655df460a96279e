//! Online evaluation: every served list as an exposure (customer, model,
//! experiment arm, placement, the items in order, the impressions a client
//! confirmed), an interaction's explicit `exposure_id`, and the A/B
//! experiments between models.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer, json, json_null, string, string_len, string_len_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Exposures {
    Table,
    Id,
    CustomerId,
    ModelId,
    Engine,
    ExperimentId,
    Arm,
    Placement,
    Items,
    Impressions,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    ExposureId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Experiments {
    Table,
    Id,
    Key,
    Name,
    Arms,
    Placement,
    StartsAt,
    EndsAt,
    StoppedAt,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

fn index(
    name: &str,
    table: impl IntoIden + Copy,
    columns: &[impl IntoIden + Copy],
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use Exposures as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(uuid(E::Id).primary_key())
                    .col(uuid_null(E::CustomerId))
                    .col(uuid(E::ModelId))
                    .col(string(E::Engine))
                    .col(uuid_null(E::ExperimentId))
                    .col(string_len_null(E::Arm, 64))
                    .col(string_len(E::Placement, 64))
                    .col(json(E::Items))
                    .col(json_null(E::Impressions))
                    .col(timestamp_with_time_zone(E::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Two indexes only, for the two ways the figures read the table:
        // every list costs a write per index, and serving writes thousands
        // a second. Retention's hourly delete by time scans.
        for statement in [
            index(
                "exposures_model_time",
                E::Table,
                &[E::ModelId, E::CreatedAt],
            ),
            index(
                "exposures_experiment_time",
                E::Table,
                &[E::ExperimentId, E::CreatedAt],
            ),
        ] {
            manager.create_index(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Interactions::Table)
                    .add_column(uuid_null(Interactions::ExposureId))
                    .to_owned(),
            )
            .await?;
        use Experiments as X;
        manager
            .create_table(
                Table::create()
                    .table(X::Table)
                    .col(uuid(X::Id).primary_key())
                    .col(string_len(X::Key, 64).unique_key())
                    .col(string(X::Name))
                    .col(json(X::Arms))
                    .col(string_len_null(X::Placement, 64))
                    .col(timestamp_with_time_zone(X::StartsAt))
                    .col(timestamp_with_time_zone_null(X::EndsAt))
                    .col(timestamp_with_time_zone_null(X::StoppedAt))
                    .col(integer(X::Version))
                    .col(uuid_null(X::CreatedBy))
                    .col(timestamp_with_time_zone(X::CreatedAt))
                    .col(timestamp_with_time_zone(X::UpdatedAt))
                    .to_owned(),
            )
            .await
    }
}
