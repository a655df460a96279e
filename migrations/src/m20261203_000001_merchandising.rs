//! Merchandising rules of the recommendation lists: pin an item at a
//! position, boost or bury a category, tag or item by a factor, hide items,
//! categories or tags, each with an optional validity period.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, double_null, integer, integer_null, string, string_len_null, timestamp_with_time_zone,
    timestamp_with_time_zone_null, uuid, uuid_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RecommendationRules {
    Table,
    Id,
    Name,
    Action,
    ItemId,
    Category,
    Tag,
    Position,
    Factor,
    StartsAt,
    EndsAt,
    Active,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use RecommendationRules as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(uuid(R::Id).primary_key())
                    .col(string(R::Name))
                    .col(string_len_null(R::Action, 8).not_null())
                    .col(uuid_null(R::ItemId))
                    .col(string_len_null(R::Category, 255))
                    .col(string_len_null(R::Tag, 64))
                    .col(integer_null(R::Position))
                    .col(double_null(R::Factor))
                    .col(timestamp_with_time_zone_null(R::StartsAt))
                    .col(timestamp_with_time_zone_null(R::EndsAt))
                    .col(boolean(R::Active))
                    .col(integer(R::Version))
                    .col(uuid_null(R::CreatedBy))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .col(timestamp_with_time_zone(R::UpdatedAt))
                    .to_owned(),
            )
            .await
    }
}
