//! Customer analytics: baskets (an optional `basket_id` on interactions),
//! survey answers (type, score, question and comment on `survey`
//! interactions), segments (the active segmentation's segments with their
//! user-given names, each customer's `segment_id`) and the history of each
//! customer's segment changes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, integer, integer_null, json, small_integer_null, string_len_null, string_null,
    text_null, timestamp_with_time_zone, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    BasketId,
    SurveyType,
    SurveyScore,
    SurveyQuestion,
    SurveyComment,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    SegmentId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Segments {
    Table,
    Id,
    Name,
    ModelId,
    Size,
    Profile,
    Centre,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SegmentChanges {
    Table,
    Id,
    CustomerId,
    FromSegment,
    ToSegment,
    ModelId,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds a single column at a time.
        let interaction_columns = [
            string_len_null(Interactions::BasketId, 128),
            string_len_null(Interactions::SurveyType, 8),
            small_integer_null(Interactions::SurveyScore),
            string_len_null(Interactions::SurveyQuestion, 500),
            text_null(Interactions::SurveyComment),
        ];
        for column in interaction_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Interactions::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("interactions_basket_id")
                    .table(Interactions::Table)
                    .col(Interactions::BasketId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("interactions_survey_type")
                    .table(Interactions::Table)
                    .col(Interactions::SurveyType)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(integer_null(Customers::SegmentId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customers_segment_id")
                    .table(Customers::Table)
                    .col(Customers::SegmentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(integer(Segments::Id).primary_key())
                    .col(string_null(Segments::Name))
                    .col(uuid(Segments::ModelId))
                    .col(big_integer(Segments::Size))
                    .col(json(Segments::Profile))
                    .col(json(Segments::Centre))
                    .col(integer(Segments::Version))
                    .col(timestamp_with_time_zone(Segments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SegmentChanges::Table)
                    .col(uuid(SegmentChanges::Id).primary_key())
                    .col(uuid(SegmentChanges::CustomerId))
                    .col(integer_null(SegmentChanges::FromSegment))
                    .col(integer_null(SegmentChanges::ToSegment))
                    .col(uuid_null(SegmentChanges::ModelId))
                    .col(timestamp_with_time_zone(SegmentChanges::ChangedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("segment_changes_customer")
                    .table(SegmentChanges::Table)
                    .col(SegmentChanges::CustomerId)
                    .col(SegmentChanges::ChangedAt)
                    .to_owned(),
            )
            .await
    }
}
