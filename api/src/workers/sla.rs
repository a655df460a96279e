//! The SLA checker: marks open instances whose current step is past its
//! `due_at` and records `sla_breached` (and emits `workflow.sla_breached`)
//! exactly once per step, however many replicas run it.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::{DomainError, InstanceStatus};
use crate::entities::workflow_instance::{self, Column};
use crate::services::workflow_engine::{NewEvent, Pinned, record};
use crate::workers;

/// Instances handled per round.
const BATCH: u64 = 100;

/// Starts the periodic check.
pub fn spawn(db: DatabaseConnection, interval: Duration) {
    workers::every("sla-checker", interval, move || {
        let db = db.clone();
        async move { check(&db).await.map(|_| ()) }
    });
}

/// One round; returns how many breaches were recorded.
pub async fn check(db: &DatabaseConnection) -> Result<usize, DomainError> {
    let now = Utc::now();
    let overdue = workflow_instance::Entity::find()
        .filter(Column::Status.eq(InstanceStatus::Open.as_str()))
        .filter(Column::DueAt.lt(now))
        .filter(Column::SlaBreachedAt.is_null())
        .order_by_asc(Column::DueAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut breached = 0;
    for instance in overdue {
        let txn = crate::db::begin_write(db).await?;
        // Claims the breach: only one replica (and only for this step, as a
        // transition bumps the version) gets a row back.
        let claimed = workflow_instance::Entity::update_many()
            .col_expr(Column::SlaBreachedAt, Expr::value(now))
            .filter(Column::Id.eq(instance.id))
            .filter(Column::Version.eq(instance.version))
            .filter(Column::SlaBreachedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            txn.rollback().await?;
            continue;
        }
        let pinned = Pinned::of(&txn, instance.definition_id).await?;
        let step = instance.current_step.clone();
        let marked = workflow_instance::Model {
            sla_breached_at: Some(now),
            ..instance
        };
        let event = NewEvent {
            kind: "sla_breached",
            from_step: Some(step),
            comment: Some("the step's SLA ran out".to_owned()),
            ..NewEvent::default()
        };
        record(&txn, &marked, &pinned, event).await?;
        txn.commit().await?;
        breached += 1;
    }
    Ok(breached)
}
