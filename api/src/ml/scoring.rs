//! Scoring customers with every active scorer: their feature rows built
//! from one query for their interactions, each active model's prediction
//! with its explanation. Reading only: what a score sets off (automations)
//! is the score-automation worker's business.

use chrono::Utc;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::data::{customer_events, feature_rows};
use super::serving::{Loaded, ModelCache, Scored};
use crate::domain::{DomainError, ErrorCode};
use crate::entities::customer;

/// One active model's score of a customer.
pub struct ModelScore {
    /// The scoring model.
    pub model_id: Uuid,
    /// Its engine.
    pub engine: String,
    /// What it predicts, e.g. `churn=Yes`.
    pub label: String,
    /// The calibrated probability, its tier, and the per-feature explanation.
    pub scored: Scored,
}

/// Every active scorer's score of one customer.
pub struct CustomerScore {
    /// The customer.
    pub customer_id: Uuid,
    /// One score per active scoring model, by engine name.
    pub scores: Vec<ModelScore>,
}

/// The error of a service asked for scores while no scorer is active.
pub fn no_active_scorer() -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::NoActiveModel,
        detail: "no scoring model is active; train and activate one".to_owned(),
    }
}

/// Scores `customers` with every active scorer of `models`; a customer a
/// model cannot score is refused (422 `unscorable`) naming the customer.
pub async fn score_customers(
    db: &DatabaseConnection,
    models: &ModelCache,
    customers: &[customer::Model],
) -> Result<Vec<CustomerScore>, DomainError> {
    score_each(db, models, customers)
        .await?
        .into_iter()
        .collect()
}

/// Scores `customers` like [`score_customers`], with one outcome per
/// customer, so that one customer a model cannot score spoils no other.
pub async fn score_each(
    db: &DatabaseConnection,
    models: &ModelCache,
    customers: &[customer::Model],
) -> Result<Vec<Result<CustomerScore, DomainError>>, DomainError> {
    let scorers = models.scorers();
    if scorers.is_empty() {
        return Err(no_active_scorer());
    }
    let ids: Vec<Uuid> = customers.iter().map(|c| c.id).collect();
    let (events, _) = customer_events(db, Some(&ids)).await?;
    let rows = feature_rows(customers, &events, Utc::now().timestamp());
    let score_one = |customer: &customer::Model, row| {
        let mut scores = Vec::with_capacity(scorers.len());
        for active in &scorers {
            let Loaded::Scorer { model, label } = &active.loaded else {
                continue;
            };
            let scored = model.predict(row).map_err(|e| {
                if e.is_internal() {
                    DomainError::Internal(anyhow::Error::new(e))
                } else {
                    DomainError::Unprocessable {
                        code: ErrorCode::Unscorable,
                        detail: format!("customer {} cannot be scored: {e}", customer.id),
                    }
                }
            })?;
            scores.push(ModelScore {
                model_id: active.id,
                engine: active.engine.clone(),
                label: label.clone(),
                scored,
            });
        }
        Ok(CustomerScore {
            customer_id: customer.id,
            scores,
        })
    };
    Ok(customers
        .iter()
        .zip(&rows)
        .map(|(customer, row)| score_one(customer, row))
        .collect())
}
