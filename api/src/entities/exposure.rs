//! A served recommendation list: who saw which items, from which model.

use sea_orm::entity::prelude::*;

/// Row of `exposures`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "exposures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The customer the list was for (none for similar items).
    pub customer_id: Option<Uuid>,
    pub model_id: Uuid,
    pub engine: String,
    pub experiment_id: Option<Uuid>,
    pub arm: Option<String>,
    /// Where the list was shown (`api` unless the request said).
    pub placement: String,
    /// The item ids, in list order.
    pub items: Json,
    /// The item ids a client confirmed were shown; none: every item.
    pub impressions: Option<Json>,
    pub created_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
