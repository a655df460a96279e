//! One recorded event between a customer and (optionally) an item.

use sea_orm::entity::prelude::*;

/// Row of `interactions`. Interactions are immutable facts: no version.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Uuid,
    pub item_id: Option<Uuid>,
    pub kind: String,
    pub value: Option<f64>,
    pub rating: Option<i16>,
    pub channel: Option<String>,
    pub note: Option<String>,
    pub occurred_at: DateTimeUtc,
    /// The order or invoice the interaction belongs to.
    pub basket_id: Option<String>,
    /// A survey answer's type (`nps`, `csat`, `ces`).
    pub survey_type: Option<String>,
    /// A survey answer's score on its type's scale.
    pub survey_score: Option<i16>,
    pub survey_question: Option<String>,
    pub survey_comment: Option<String>,
    pub created_at: DateTimeUtc,
    /// The served list the client said led to it.
    pub exposure_id: Option<Uuid>,
}

/// No relations are navigated; joins are written where needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
