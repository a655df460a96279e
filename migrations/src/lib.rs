//! Database migrations of Rapport. The same migrations run on SQLite and
//! PostgreSQL; they use only sea-query's portable schema builder.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_core;
mod m20261123_000002_identity;
mod m20261123_000003_models;
mod m20261123_000004_workflows;
mod m20261123_000005_serving_activity;
mod m20261202_000001_sessions;
mod m20261202_000002_secrets;
mod m20261202_000003_analytics;
mod m20261203_000001_merchandising;
mod m20261203_000002_tuning_jobs;
mod m20261203_000003_online_evaluation;
mod m20261204_000001_sparse_interaction_indexes;
mod m20261205_000001_deferred_rebuilds;

/// The ordered list of every migration, applied by `rapport migrate` and `rapport serve`.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_core::Migration),
            Box::new(m20261123_000002_identity::Migration),
            Box::new(m20261123_000003_models::Migration),
            Box::new(m20261123_000004_workflows::Migration),
            Box::new(m20261123_000005_serving_activity::Migration),
            Box::new(m20261202_000001_sessions::Migration),
            Box::new(m20261202_000002_secrets::Migration),
            Box::new(m20261202_000003_analytics::Migration),
            Box::new(m20261203_000001_merchandising::Migration),
            Box::new(m20261203_000002_tuning_jobs::Migration),
            Box::new(m20261203_000003_online_evaluation::Migration),
            Box::new(m20261204_000001_sparse_interaction_indexes::Migration),
            Box::new(m20261205_000001_deferred_rebuilds::Migration),
        ]
    }
}
