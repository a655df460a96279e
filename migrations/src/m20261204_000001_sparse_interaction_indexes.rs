//! The basket and survey indexes of `interactions` hold only the rows that
//! have a basket or a survey answer: most interactions have neither, and a
//! full index stored an entry for each of them (about 20 bytes per
//! interaction on SQLite, and two index writes per imported row). Every
//! query that uses them compares the column, which implies it is not null.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    BasketId,
    SurveyType,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, column) in [
            (
                "interactions_basket_id",
                "idx_interactions_basket",
                Interactions::BasketId,
            ),
            (
                "interactions_survey_type",
                "idx_interactions_survey",
                Interactions::SurveyType,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(new)
                        .table(Interactions::Table)
                        .col(column)
                        .and_where(Expr::col(column).is_not_null())
                        .to_owned(),
                )
                .await?;
            manager
                .drop_index(
                    Index::drop()
                        .name(old)
                        .table(Interactions::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
