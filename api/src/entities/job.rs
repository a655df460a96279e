//! A training job in the database-backed queue.

use sea_orm::entity::prelude::*;

/// Row of `jobs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `train` or `tune`.
    pub kind: String,
    /// The engine trained, or tuned (`auto`: every recommender).
    pub engine: String,
    pub params: Json,
    /// Activate the model when training succeeds.
    pub activate: bool,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// 0.0 to 1.0.
    pub progress: f64,
    pub stage: Option<String>,
    pub model_id: Option<Uuid>,
    pub error: Option<String>,
    /// What a finished job decided (a tuning job: whether its winner was
    /// activated, and why).
    pub outcome: Option<Json>,
    pub attempts: i32,
    /// Random token of the worker holding the lease.
    pub lease_token: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    pub requested_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
