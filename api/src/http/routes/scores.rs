//! `GET /customers/{id}/scores` and `POST /scores/batch`: probabilities from
//! every active scoring model, each with its per-feature explanation.

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use rapport_core::scoring::Value as Cell;
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::domain::{DomainError, ErrorCode};
use crate::entities::customer;
use crate::http::error::ApiError;
use crate::ml::data::{customer_events, feature_rows};
use crate::ml::serving::Loaded;
use crate::policy::{self, Action};
use crate::services::automations;
use crate::services::customers::find_live;
use crate::state::AppState;

/// Most customers in one batch.
pub const MAX_BATCH: usize = 1_000;

/// One feature's share of a prediction.
#[derive(Debug, Serialize, ToSchema)]
pub struct FactorOut {
    /// Input feature (attribute, segment, lifecycle stage or behaviour feature).
    pub feature: String,
    /// The customer's raw value: a number, a text, or null when missing.
    pub value: Value,
    /// Contribution to the logit: coefficient x standardised value.
    pub contribution: f64,
}

/// One model's score of a customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreOut {
    pub model_id: Uuid,
    pub engine: String,
    /// What is predicted, e.g. `churn=Yes`.
    pub label: String,
    pub probability: f64,
    /// Log-odds; equals `intercept` plus the sum of the contributions.
    pub logit: f64,
    pub intercept: f64,
    /// Factors by absolute contribution, largest first.
    pub factors: Vec<FactorOut>,
}

/// Every active scorer's score of one customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerScores {
    pub customer_id: Uuid,
    pub scores: Vec<ScoreOut>,
}

/// Customers to score.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// 1 to 1,000 customer ids.
    pub customer_ids: Vec<Uuid>,
}

/// Scores of a batch; ids that name no live customer are listed apart.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchScores {
    pub data: Vec<CustomerScores>,
    pub not_found: Vec<Uuid>,
}

fn json_of(cell: &Cell) -> Value {
    match cell {
        Cell::Missing => Value::Null,
        Cell::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
        Cell::Text(s) => Value::String(s.clone()),
        Cell::Bool(b) => Value::Bool(*b),
    }
}

/// Scores `customers` with every active scorer (one query for their interactions).
async fn score(
    state: &AppState,
    customers: &[customer::Model],
) -> Result<Vec<CustomerScores>, ApiError> {
    let scorers = state.models.scorers();
    if scorers.is_empty() {
        return Err(ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::NoActiveModel,
            detail: "no scoring model is active; train and activate one".to_owned(),
        }));
    }
    let ids: Vec<Uuid> = customers.iter().map(|c| c.id).collect();
    let (events, _) = customer_events(&state.db, Some(&ids)).await?;
    let rows = feature_rows(customers, &events, Utc::now().timestamp());
    let mut out = Vec::with_capacity(customers.len());
    for (customer, row) in customers.iter().zip(&rows) {
        let mut scores = Vec::with_capacity(scorers.len());
        for active in &scorers {
            let Loaded::Scorer { model, label } = &active.loaded else {
                continue;
            };
            let prediction = model.predict(row).map_err(|e| {
                if e.is_internal() {
                    ApiError::Domain(DomainError::Internal(anyhow::Error::new(e)))
                } else {
                    ApiError::Domain(DomainError::Unprocessable {
                        code: ErrorCode::Unscorable,
                        detail: format!("customer {} cannot be scored: {e}", customer.id),
                    })
                }
            })?;
            scores.push(ScoreOut {
                model_id: active.id,
                engine: active.engine.clone(),
                label: label.clone(),
                probability: prediction.probability,
                logit: prediction.logit,
                intercept: prediction.intercept,
                factors: prediction
                    .factors
                    .iter()
                    .map(|f| FactorOut {
                        feature: f.feature.clone(),
                        value: json_of(&f.value),
                        contribution: f.contribution,
                    })
                    .collect(),
            });
        }
        out.push(CustomerScores {
            customer_id: customer.id,
            scores,
        });
    }
    Ok(out)
}

/// Runs the score automations (threshold crossings) on freshly computed
/// scores, in one transaction that takes SQLite's write lock at once.
async fn fire_automations(state: &AppState, scored: &[CustomerScores]) -> Result<(), ApiError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = state.db.begin_with_options(options).await?;
    for customer in scored {
        for score in &customer.scores {
            automations::on_score(
                &txn,
                customer.customer_id,
                score.model_id,
                score.probability,
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// A customer's scores from every active scoring model, with explanations.
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerScores), (status = 404, body = crate::http::error::Problem),
        (status = 409, body = crate::http::error::Problem, description = "no active scoring model (`no_active_model`)")))]
#[get("/customers/{id}/scores")]
async fn customer_scores(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let customer = find_live(&state.db, *id).await?;
    let mut scored = score(&state, std::slice::from_ref(&customer)).await?;
    let one = scored
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no score computed"))?;
    Ok(HttpResponse::Ok().json(one))
}

/// Scores of up to 1,000 customers at once; score automations whose
/// threshold a customer's probability crosses upwards fire.
#[utoipa::path(tag = "predictions", request_body = BatchRequest,
    responses((status = 200, body = BatchScores), (status = 422, body = crate::http::error::Problem),
        (status = 409, body = crate::http::error::Problem, description = "no active scoring model (`no_active_model`)")))]
#[post("/scores/batch")]
async fn batch(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<BatchRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let mut ids = body.into_inner().customer_ids;
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "customer_ids",
            format!("must hold 1 to {MAX_BATCH} ids"),
        ));
    }
    ids.sort();
    ids.dedup();
    let customers = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .filter(customer::Column::DeletedAt.is_null())
        .all(&state.db)
        .await?;
    let not_found: Vec<Uuid> = ids
        .iter()
        .filter(|id| !customers.iter().any(|c| c.id == **id))
        .copied()
        .collect();
    let data = if customers.is_empty() {
        Vec::new()
    } else {
        score(&state, &customers).await?
    };
    fire_automations(&state, &data).await?;
    Ok(HttpResponse::Ok().json(BatchScores { data, not_found }))
}

/// Mounts the score routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(customer_scores).service(batch);
}
