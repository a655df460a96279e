//! `GET /customers/{id}/scores` and `POST /scores/batch`: probabilities from
//! every active scoring model, each with its per-feature explanation.

use actix_web::{HttpResponse, get, post, web};
use rapport_assess::Tier;
use rapport_core::scoring::Value as Cell;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::entities::customer;
use crate::http::error::ApiError;
use crate::ml::scoring::{CustomerScore, score_customers};
use crate::policy::{self, Action};
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
    /// Calibrated probability of the label (isotonic or Platt scaling fitted
    /// on held-out training rows; see the model's `metrics.calibration`).
    pub probability: f64,
    /// The model's own probability, `1 / (1 + exp(-logit))`, which the
    /// factors explain; equal to `probability` when no calibration helped.
    pub uncalibrated_probability: f64,
    /// Quartile of the model's training scores the customer's score falls
    /// in (thresholds in the model's `metrics.tiers`, on the uncalibrated
    /// scale); null for models trained before tiers existed.
    pub tier: Option<ScoreTier>,
    /// Log-odds of the uncalibrated probability; equals `intercept` plus the
    /// sum of the contributions.
    pub logit: f64,
    pub intercept: f64,
    /// Factors by absolute contribution, largest first.
    pub factors: Vec<FactorOut>,
}

/// Where a score stands among the model's training scores: `very_high`
/// from the 75th percentile, `high` from the median, `medium` from the 25th
/// percentile, `low` below.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreTier {
    VeryHigh,
    High,
    Medium,
    Low,
}

impl From<Tier> for ScoreTier {
    fn from(tier: Tier) -> Self {
        match tier {
            Tier::VeryHigh => Self::VeryHigh,
            Tier::High => Self::High,
            Tier::Medium => Self::Medium,
            Tier::Low => Self::Low,
        }
    }
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

impl From<CustomerScore> for CustomerScores {
    fn from(scored: CustomerScore) -> Self {
        let scores = scored
            .scores
            .into_iter()
            .map(|score| {
                let prediction = score.scored.prediction;
                ScoreOut {
                    model_id: score.model_id,
                    engine: score.engine,
                    label: score.label,
                    probability: prediction.probability,
                    uncalibrated_probability: score.scored.uncalibrated_probability,
                    tier: score.scored.tier.map(ScoreTier::from),
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
                }
            })
            .collect();
        Self {
            customer_id: scored.customer_id,
            scores,
        }
    }
}

/// Scores `customers` with every active scorer, as the API shows them.
async fn score(
    state: &AppState,
    customers: &[customer::Model],
) -> Result<Vec<CustomerScores>, ApiError> {
    let scored = score_customers(&state.db, &state.models, customers).await?;
    Ok(scored.into_iter().map(CustomerScores::from).collect())
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

/// Scores of up to 1,000 customers at once. Reading only: score
/// automations are evaluated by the service's score sweep, not here.
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
    Ok(HttpResponse::Ok().json(BatchScores { data, not_found }))
}

/// Mounts the score routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(customer_scores).service(batch);
}
