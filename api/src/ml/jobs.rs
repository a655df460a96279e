//! The training job queue, kept in the database so any replica (or a
//! `rapport worker`) can run a job. A claim is one conditional UPDATE (with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL); a lease, renewed while the job
//! runs, lets another worker take over a job whose worker died.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rapport_core::KindWeights;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use super::catalogue;
use super::serving::ModelCache;
use super::train::{self, RawParams, TrainError, Trained};
use crate::domain::DomainError;
use crate::domain::event::{EventPayload, ModelActivated};
use crate::entities::{job, model, model_blob};
use crate::services::outbox;

/// How long a claim holds a job without renewal.
pub const LEASE: Duration = Duration::from_secs(60);
/// Claims after which a job that keeps losing its worker is failed.
const MAX_ATTEMPTS: i32 = 3;

/// Job states.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const SUCCEEDED: &str = "succeeded";
    pub const FAILED: &str = "failed";
}

fn lease_deadline() -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(60))
}

/// Adds a job to the queue.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    engine: &str,
    params: &RawParams,
    activate: bool,
    requested_by: Option<Uuid>,
) -> Result<job::Model, sea_orm::DbErr> {
    let row = job::Model {
        id: Uuid::now_v7(),
        engine: engine.to_owned(),
        params: catalogue::typed_params(engine, params),
        activate,
        status: status::QUEUED.to_owned(),
        progress: 0.0,
        stage: None,
        model_id: None,
        error: None,
        attempts: 0,
        lease_token: None,
        lease_expires_at: None,
        requested_by,
        created_at: Utc::now(),
        started_at: None,
        finished_at: None,
    };
    job::Entity::insert(job::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(row)
}

/// Refuses a new job of `user` (429) when they already have `limit` jobs
/// queued or running. Call it in the transaction that queues the job: the
/// check and the insert run under one database-wide lock, so parallel
/// requests cannot all pass it.
pub async fn check_queue_share(
    txn: &DatabaseTransaction,
    user: Uuid,
    limit: u64,
) -> Result<(), DomainError> {
    crate::db::serialise(txn, "training-queue").await?;
    let pending = job::Entity::find()
        .filter(job::Column::RequestedBy.eq(user))
        .filter(job::Column::Status.is_in([status::QUEUED, status::RUNNING]))
        .count(txn)
        .await?;
    if pending >= limit {
        return Err(DomainError::TooMuchWork {
            detail: format!(
                "you have {pending} training jobs queued or running, the most allowed \
                 (RAPPORT_TRAINING_JOBS_PER_USER); retry when one has finished"
            ),
            retry_after: 30,
        });
    }
    Ok(())
}

/// Claims the oldest queued job, or a running one whose lease expired.
pub async fn claim(db: &DatabaseConnection) -> Result<Option<job::Model>, sea_orm::DbErr> {
    let now = Utc::now();
    let token = Uuid::new_v4().to_string();
    let claimable = Expr::col(job::Column::Status)
        .eq(status::QUEUED)
        .or(Expr::col(job::Column::Status)
            .eq(status::RUNNING)
            .and(Expr::col(job::Column::LeaseExpiresAt).lt(now)));
    let oldest = Query::select()
        .column(job::Column::Id)
        .from(job::Entity)
        .and_where(claimable.clone())
        .order_by(job::Column::CreatedAt, sea_orm::Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let update = Query::update()
        .table(job::Entity)
        .value(job::Column::Status, status::RUNNING)
        .value(job::Column::LeaseToken, token.clone())
        .value(job::Column::LeaseExpiresAt, lease_deadline())
        .value(job::Column::StartedAt, now)
        .value(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .and_where(Expr::col(job::Column::Id).in_subquery(oldest))
        .and_where(claimable)
        .to_owned();
    if db.execute(&update).await?.rows_affected() == 0 {
        return Ok(None);
    }
    job::Entity::find()
        .filter(job::Column::LeaseToken.eq(token))
        .one(db)
        .await
}

/// Records progress and renews the lease, while the claim is still ours.
async fn heartbeat(db: &DatabaseConnection, job: &job::Model, progress: f64, stage: &str) {
    let result = job::Entity::update_many()
        .col_expr(job::Column::Progress, Expr::value(progress))
        .col_expr(job::Column::Stage, Expr::value(stage.to_owned()))
        .col_expr(job::Column::LeaseExpiresAt, Expr::value(lease_deadline()))
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::LeaseToken.eq(job.lease_token.clone()))
        .exec(db)
        .await;
    if let Err(err) = result {
        tracing::warn!(job_id = %job.id, error = %err, "job heartbeat failed");
    }
}

/// Stores a trained model (and activates it when asked), in one transaction.
pub async fn store(
    db: &DatabaseConnection,
    trained: Trained,
    job_id: Option<Uuid>,
    activate: bool,
) -> Result<model::Model, DomainError> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let row = model::Model {
        id: Uuid::now_v7(),
        engine: trained.engine,
        kind: trained.kind.as_str().to_owned(),
        params: trained.params,
        data_stats: serde_json::to_value(&trained.stats).unwrap_or_default(),
        metrics: trained.metrics,
        size_bytes: trained.bytes.len() as i64,
        active: false,
        activated_at: None,
        job_id,
        created_at: now,
    };
    model::Entity::insert(model::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await?;
    model_blob::Entity::insert(model_blob::ActiveModel::from(model_blob::Model {
        model_id: row.id,
        bytes: trained.bytes,
    }))
    .exec_without_returning(&txn)
    .await?;
    if activate {
        crate::services::models::activate_in(&txn, &row).await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// Makes `id` the only active model of `engine`, and tells webhooks.
pub async fn activate_in(
    txn: &impl ConnectionTrait,
    engine: &str,
    id: Uuid,
) -> Result<(), DomainError> {
    model::Entity::update_many()
        .col_expr(model::Column::Active, Expr::value(false))
        .filter(model::Column::Engine.eq(engine))
        .filter(model::Column::Active.eq(true))
        .exec(txn)
        .await?;
    model::Entity::update_many()
        .col_expr(model::Column::Active, Expr::value(true))
        .col_expr(model::Column::ActivatedAt, Expr::value(Utc::now()))
        .filter(model::Column::Id.eq(id))
        .exec(txn)
        .await?;
    let activated = ModelActivated {
        model_id: id,
        engine: engine.to_owned(),
    };
    outbox::emit(txn, EventPayload::ModelActivated(activated)).await
}

async fn finish(db: &DatabaseConnection, job: &job::Model, outcome: Result<Uuid, String>) {
    let (state, model_id, error) = match outcome {
        Ok(id) => (status::SUCCEEDED, Some(id), None),
        Err(message) => (status::FAILED, None, Some(message)),
    };
    let result = job::Entity::update_many()
        .set(job::ActiveModel {
            status: Set(state.to_owned()),
            progress: Set(if model_id.is_some() {
                1.0
            } else {
                job.progress
            }),
            model_id: Set(model_id),
            error: Set(error),
            lease_token: Set(None),
            lease_expires_at: Set(None),
            finished_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::LeaseToken.eq(job.lease_token.clone()))
        .exec(db)
        .await;
    if let Err(err) = result {
        tracing::error!(job_id = %job.id, error = %err, "recording the job outcome failed");
    }
}

/// Runs a claimed job to the end, renewing its lease meanwhile.
pub async fn run(
    db: &DatabaseConnection,
    weights: &KindWeights,
    cache: &ModelCache,
    job: job::Model,
) {
    if job.attempts > MAX_ATTEMPTS {
        finish(
            db,
            &job,
            Err(format!("gave up after {} attempts", job.attempts - 1)),
        )
        .await;
        return;
    }
    tracing::info!(job_id = %job.id, engine = %job.engine, "training");
    let stored = job.params.as_object().map(catalogue::raw_params);
    let params = match stored {
        Some(Ok(params)) => params,
        Some(Err(name)) => {
            return finish(
                db,
                &job,
                Err(format!("stored parameter `{name}` is unreadable")),
            )
            .await;
        }
        None => {
            let message = format!("stored parameters are not an object: {}", job.params);
            return finish(db, &job, Err(message)).await;
        }
    };
    let (tx, mut rx) = tokio::sync::watch::channel((0.0_f64, String::from("starting")));
    let progress = move |p: f64, stage: &str| {
        let _ = tx.send((p, stage.to_owned()));
    };
    let training = train::train(db, weights, &job.engine, &params, &progress);
    tokio::pin!(training);
    let mut renew = tokio::time::interval(LEASE / 4);
    let outcome = loop {
        tokio::select! {
            outcome = &mut training => break outcome,
            _ = renew.tick() => {
                let (p, stage) = rx.borrow_and_update().clone();
                heartbeat(db, &job, p, &stage).await;
            }
        }
    };
    let result = match outcome {
        Ok(trained) => match store(db, trained, Some(job.id), job.activate).await {
            Ok(row) => {
                if job.activate
                    && let Err(err) = cache.refresh(db).await
                {
                    tracing::warn!(error = %err, "refreshing active models failed");
                }
                Ok(row.id)
            }
            Err(err) => Err(format!("storing the model failed: {err}")),
        },
        Err(TrainError::Refused(message)) => Err(message),
        Err(TrainError::Internal(err)) => {
            tracing::error!(job_id = %job.id, error = ?err, "training failed");
            Err("training failed on the server; see the logs".to_owned())
        }
    };
    finish(db, &job, result).await;
}

/// Claims and runs jobs until the process ends.
pub fn spawn_worker(
    db: DatabaseConnection,
    weights: KindWeights,
    cache: Arc<ModelCache>,
    poll: Duration,
) {
    tokio::spawn(async move {
        loop {
            match claim(&db).await {
                Ok(Some(job)) => run(&db, &weights, &cache, job).await,
                Ok(None) => tokio::time::sleep(poll).await,
                Err(err) => {
                    tracing::warn!(error = %err, "claiming a job failed");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    });
}
