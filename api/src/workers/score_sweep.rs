//! The score sweep: scores every live customer with the active scorers and
//! runs the score automations (a threshold crossed upwards starts a
//! workflow). Reading scores through the API sets nothing off; this worker
//! is the one place where scores act. Replicas take turns: each page is
//! handled under one database-wide lock, and a crossing is marked in the
//! same transaction as the workflow it starts, so it fires once.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::domain::DomainError;
use crate::entities::customer;
use crate::ml::scoring::score_each;
use crate::ml::serving::ModelCache;
use crate::services::automations;
use crate::workers;

/// Customers scored per page (and per transaction).
const PAGE: u64 = 500;

/// Starts the periodic sweep.
pub fn spawn(db: DatabaseConnection, models: Arc<ModelCache>, interval: Duration) {
    workers::every("score-sweep", interval, move || {
        let (db, models) = (db.clone(), Arc::clone(&models));
        async move { sweep(&db, &models).await.map(|_| ()) }
    });
}

/// One sweep over every live customer; returns how many were scored. Does
/// nothing when no score automation is active or no scorer is.
pub async fn sweep(db: &DatabaseConnection, models: &ModelCache) -> Result<usize, DomainError> {
    if models.scorers().is_empty() || !automations::any_active(db, "score").await? {
        return Ok(0);
    }
    let mut after: Option<Uuid> = None;
    let mut scored = 0;
    loop {
        let mut page = customer::Entity::find()
            .filter(customer::Column::DeletedAt.is_null())
            .order_by_asc(customer::Column::Id)
            .limit(PAGE);
        if let Some(last) = after {
            page = page.filter(customer::Column::Id.gt(last));
        }
        let customers = page.all(db).await?;
        let Some(last) = customers.last() else {
            return Ok(scored);
        };
        after = Some(last.id);
        let outcomes = score_each(db, models, &customers).await?;
        let txn = crate::db::begin_write(db).await?;
        crate::db::serialise(&txn, "score-sweep").await?;
        for outcome in outcomes {
            let customer = match outcome {
                Ok(customer) => customer,
                Err(DomainError::Unprocessable { detail, .. }) => {
                    tracing::debug!(%detail, "score sweep skips a customer");
                    continue;
                }
                Err(other) => return Err(other),
            };
            for score in &customer.scores {
                let probability = score.scored.prediction.probability;
                automations::on_score(&txn, customer.customer_id, score.model_id, probability)
                    .await?;
            }
            scored += 1;
        }
        txn.commit().await?;
    }
}
