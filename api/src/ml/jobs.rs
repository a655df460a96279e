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
use super::tuning::{self, TuneSettings};
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

/// What a job does.
pub mod kind {
    /// Trains one engine with given parameters.
    pub const TRAIN: &str = "train";
    /// Searches an engine's (or every recommender's) parameters.
    pub const TUNE: &str = "tune";
}

/// A job to queue: what it does, on which engine, with which settings.
pub struct NewJob {
    kind: &'static str,
    engine: String,
    params: serde_json::Value,
    activate: bool,
}

impl NewJob {
    /// Training `engine` with `params`, activating the model when asked.
    pub fn training(engine: &str, params: &RawParams, activate: bool) -> Self {
        Self {
            kind: kind::TRAIN,
            engine: engine.to_owned(),
            params: catalogue::typed_params(engine, params),
            activate,
        }
    }

    /// Tuning `engine` (or `auto`); with `activate_if_better` the winner is
    /// activated when it beats the active model.
    pub fn tuning(engine: &str, settings: &TuneSettings, activate_if_better: bool) -> Self {
        Self {
            kind: kind::TUNE,
            engine: engine.to_owned(),
            // Plain numbers and strings: serialising cannot fail.
            params: serde_json::to_value(settings).unwrap_or_default(),
            activate: activate_if_better,
        }
    }
}

/// Adds `job` to the queue.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    job: NewJob,
    requested_by: Option<Uuid>,
) -> Result<job::Model, sea_orm::DbErr> {
    insert(
        db,
        job.kind,
        &job.engine,
        job.params,
        job.activate,
        requested_by,
    )
    .await
}

async fn insert(
    db: &impl ConnectionTrait,
    kind: &str,
    engine: &str,
    params: serde_json::Value,
    activate: bool,
    requested_by: Option<Uuid>,
) -> Result<job::Model, sea_orm::DbErr> {
    let row = job::Model {
        id: Uuid::now_v7(),
        kind: kind.to_owned(),
        engine: engine.to_owned(),
        params,
        activate,
        status: status::QUEUED.to_owned(),
        progress: 0.0,
        stage: None,
        model_id: None,
        error: None,
        outcome: None,
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

/// A job's result: the model stored and what was decided, or why it failed.
type JobResult = Result<(Uuid, Option<serde_json::Value>), String>;

async fn finish(db: &DatabaseConnection, job: &job::Model, outcome: JobResult) {
    let (state, model_id, decided, error) = match outcome {
        Ok((id, decided)) => (status::SUCCEEDED, Some(id), decided, None),
        Err(message) => (status::FAILED, None, None, Some(message)),
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
            outcome: Set(decided),
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

/// A model made by a job, whether to activate it, and the decision to record.
type Made = (Trained, bool, Option<serde_json::Value>);

/// Does what a claimed job asks: trains, or tunes (activating the winner
/// only when the job asks it to and it beats the active model).
async fn execute(
    db: &DatabaseConnection,
    limits: &JobLimits<'_>,
    job: &job::Model,
    progress: tuning::Progress,
) -> Result<Made, TrainError> {
    if job.kind == kind::TUNE {
        let settings: TuneSettings = serde_json::from_value(job.params.clone())
            .map_err(|e| train::refused(format!("stored tuning settings are unreadable: {e}")))?;
        let tuned = tuning::tune(
            db,
            limits.weights,
            &job.engine,
            &settings,
            limits.memory_budget,
            progress,
        )
        .await?;
        let activate = job.activate && tuned.decision.promote;
        let decided = serde_json::json!({
            "activated": activate,
            "activate_if_better": job.activate,
            "decision": tuned.decision,
        });
        return Ok((tuned.trained, activate, Some(decided)));
    }
    let stored = job.params.as_object().map(catalogue::raw_params);
    let params = match stored {
        Some(Ok(params)) => params,
        Some(Err(name)) => {
            return Err(train::refused(format!(
                "stored parameter `{name}` is unreadable"
            )));
        }
        None => {
            return Err(train::refused(format!(
                "stored parameters are not an object: {}",
                job.params
            )));
        }
    };
    let trained = train::train(db, limits.weights, &job.engine, &params, &*progress).await?;
    Ok((trained, job.activate, None))
}

/// What a job may use: the interaction weights and the memory budget of a fit.
pub struct JobLimits<'a> {
    pub weights: &'a KindWeights,
    pub memory_budget: u64,
}

/// Runs a claimed job to the end, renewing its lease meanwhile.
pub async fn run(
    db: &DatabaseConnection,
    limits: &JobLimits<'_>,
    cache: &ModelCache,
    job: job::Model,
) {
    if job.attempts > MAX_ATTEMPTS {
        let message = format!("gave up after {} attempts", job.attempts - 1);
        finish(db, &job, Err(message)).await;
        return;
    }
    tracing::info!(job_id = %job.id, kind = %job.kind, engine = %job.engine, "running job");
    let (tx, mut rx) = tokio::sync::watch::channel((0.0_f64, String::from("starting")));
    let progress = Arc::new(move |p: f64, stage: &str| {
        let _ = tx.send((p, stage.to_owned()));
    });
    let work = execute(db, limits, &job, progress);
    tokio::pin!(work);
    let mut renew = tokio::time::interval(LEASE / 4);
    let outcome = loop {
        tokio::select! {
            outcome = &mut work => break outcome,
            _ = renew.tick() => {
                let (p, stage) = rx.borrow_and_update().clone();
                heartbeat(db, &job, p, &stage).await;
            }
        }
    };
    let result = match outcome {
        Ok((trained, activate, decided)) => {
            match store(db, trained, Some(job.id), activate).await {
                Ok(row) => {
                    if activate && let Err(err) = cache.refresh(db).await {
                        tracing::warn!(error = %err, "refreshing active models failed");
                    }
                    Ok((row.id, decided))
                }
                Err(err) => Err(format!("storing the model failed: {err}")),
            }
        }
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
    memory_budget: u64,
    cache: Arc<ModelCache>,
    poll: Duration,
) {
    tokio::spawn(async move {
        let limits = JobLimits {
            weights: &weights,
            memory_budget,
        };
        loop {
            match claim(&db).await {
                Ok(Some(job)) => run(&db, &limits, &cache, job).await,
                Ok(None) => tokio::time::sleep(poll).await,
                Err(err) => {
                    tracing::warn!(error = %err, "claiming a job failed");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    });
}
