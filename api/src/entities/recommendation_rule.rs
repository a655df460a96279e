//! A merchandising rule applied to recommendation lists.

use sea_orm::entity::prelude::*;

use crate::domain::recommendation_rule::RuleRecord;

/// Row of `recommendation_rules`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recommendation_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// `pin`, `boost`, `bury` or `hide`.
    pub action: String,
    /// The targeted item, when the rule targets one.
    pub item_id: Option<Uuid>,
    /// The targeted category, when the rule targets one.
    pub category: Option<String>,
    /// The targeted tag (normalised), when the rule targets one.
    pub tag: Option<String>,
    /// 1-based position of a pin.
    pub position: Option<i32>,
    /// Score factor of a boost or bury.
    pub factor: Option<f64>,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub active: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for RuleRecord {
    type Error = anyhow::Error;

    /// The rule a row stores; an unknown action is an error.
    fn try_from(row: Model) -> Result<Self, Self::Error> {
        let action = row
            .action
            .parse()
            .map_err(|e| anyhow::anyhow!("recommendation rule {}: {e}", row.id))?;
        Ok(RuleRecord {
            id: row.id,
            name: row.name,
            action,
            item_id: row.item_id,
            category: row.category,
            tag: row.tag,
            position: row.position,
            factor: row.factor,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            active: row.active,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
