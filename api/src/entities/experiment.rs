//! An A/B experiment between recommendation models.

use sea_orm::entity::prelude::*;

/// Row of `experiments`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "experiments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub key: String,
    pub name: String,
    /// `[{name, engine, model_id, weight}]`.
    pub arms: Json,
    /// The placement it splits (every placement when none).
    pub placement: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: Option<DateTimeUtc>,
    pub stopped_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for crate::domain::experiment::ExperimentRecord {
    type Error = anyhow::Error;

    /// The experiment a row stores; unreadable arms are an error.
    fn try_from(row: Model) -> Result<Self, Self::Error> {
        let arms = serde_json::from_value(row.arms)
            .map_err(|e| anyhow::anyhow!("experiment {} arms: {e}", row.id))?;
        Ok(Self {
            id: row.id,
            key: row.key,
            name: row.name,
            arms,
            placement: row.placement,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            stopped_at: row.stopped_at,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
