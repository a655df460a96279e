//! Users, settings, customers, items, interactions and idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    Department,
    PasswordHash,
    Active,
    TokenVersion,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AppSettings {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    Id,
    ExternalId,
    Name,
    Email,
    Phone,
    Company,
    Segment,
    LifecycleStage,
    OwnerId,
    Tags,
    TagIndex,
    Attributes,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
    ErasedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Items {
    Table,
    Id,
    Sku,
    Name,
    Category,
    Tags,
    TagIndex,
    Description,
    Price,
    Attributes,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    Id,
    CustomerId,
    ItemId,
    Kind,
    Value,
    Rating,
    Channel,
    Note,
    OccurredAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    Actor,
    Key,
    Scope,
    RequestHash,
    Status,
    Location,
    Body,
    CreatedAt,
}

fn index<T: IntoIden + Copy + 'static>(table: T, name: &str, cols: &[T]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(*col);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_uniq(Users::Email))
                    .col(string(Users::Name))
                    .col(string(Users::Role))
                    .col(string_null(Users::Department))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::Active))
                    .col(integer(Users::TokenVersion))
                    .col(integer(Users::Version))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppSettings::Table)
                    .col(string(AppSettings::Key).primary_key())
                    .col(text(AppSettings::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(pk_uuid(Customers::Id))
                    .col(string_null(Customers::ExternalId).unique_key())
                    .col(string(Customers::Name))
                    .col(string_null(Customers::Email))
                    .col(string_null(Customers::Phone))
                    .col(string_null(Customers::Company))
                    .col(string_null(Customers::Segment))
                    .col(string(Customers::LifecycleStage))
                    .col(uuid_null(Customers::OwnerId))
                    .col(json_binary(Customers::Tags))
                    .col(text(Customers::TagIndex))
                    .col(json_binary(Customers::Attributes))
                    .col(integer(Customers::Version))
                    .col(timestamp_with_time_zone(Customers::CreatedAt))
                    .col(timestamp_with_time_zone(Customers::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Customers::DeletedAt))
                    .col(timestamp_with_time_zone_null(Customers::ErasedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Customers::Table, Customers::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_customers_updated_at", Customers::UpdatedAt),
            ("idx_customers_created_at", Customers::CreatedAt),
            ("idx_customers_name", Customers::Name),
            ("idx_customers_owner_id", Customers::OwnerId),
            ("idx_customers_segment", Customers::Segment),
            ("idx_customers_lifecycle_stage", Customers::LifecycleStage),
        ] {
            manager
                .create_index(index(Customers::Table, name, &[col]))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Items::Table)
                    .col(pk_uuid(Items::Id))
                    .col(string_uniq(Items::Sku))
                    .col(string(Items::Name))
                    .col(string_null(Items::Category))
                    .col(json_binary(Items::Tags))
                    .col(text(Items::TagIndex))
                    .col(text_null(Items::Description))
                    .col(double(Items::Price))
                    .col(json_binary(Items::Attributes))
                    .col(boolean(Items::Active))
                    .col(integer(Items::Version))
                    .col(timestamp_with_time_zone(Items::CreatedAt))
                    .col(timestamp_with_time_zone(Items::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_items_updated_at", Items::UpdatedAt),
            ("idx_items_created_at", Items::CreatedAt),
            ("idx_items_name", Items::Name),
            ("idx_items_category", Items::Category),
        ] {
            manager
                .create_index(index(Items::Table, name, &[col]))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Interactions::Table)
                    .col(pk_uuid(Interactions::Id))
                    .col(uuid(Interactions::CustomerId))
                    .col(uuid_null(Interactions::ItemId))
                    .col(string(Interactions::Kind))
                    .col(double_null(Interactions::Value))
                    .col(small_integer_null(Interactions::Rating))
                    .col(string_null(Interactions::Channel))
                    .col(text_null(Interactions::Note))
                    .col(timestamp_with_time_zone(Interactions::OccurredAt))
                    .col(timestamp_with_time_zone(Interactions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Interactions::Table, Interactions::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Interactions::Table, Interactions::ItemId)
                            .to(Items::Table, Items::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Interactions::Table,
                "idx_interactions_customer_time",
                &[Interactions::CustomerId, Interactions::OccurredAt],
            ))
            .await?;
        manager
            .create_index(index(
                Interactions::Table,
                "idx_interactions_item",
                &[Interactions::ItemId],
            ))
            .await?;
        manager
            .create_index(index(
                Interactions::Table,
                "idx_interactions_occurred_at",
                &[Interactions::OccurredAt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(string(IdempotencyKeys::Actor))
                    .col(string(IdempotencyKeys::Key))
                    .col(string(IdempotencyKeys::Scope))
                    .col(string(IdempotencyKeys::RequestHash))
                    .col(small_integer(IdempotencyKeys::Status))
                    .col(string_null(IdempotencyKeys::Location))
                    .col(text(IdempotencyKeys::Body))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::Actor)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
