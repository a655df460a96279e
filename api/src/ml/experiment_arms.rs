//! Which model serves a customer while an experiment splits the lists of a
//! placement: the arm is a hash of the experiment's key and the customer's
//! id (the same on every replica, after every restart), its model the one it
//! names, else its engine's active model. A customer whose arm's model is
//! not loaded is served by the default engine and still counted in the arm.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::serving::{ActiveModel, ModelCache};

/// The experiment arm a list was served under.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub experiment_id: Uuid,
    pub key: String,
    pub arm: String,
}

/// The arm `customer` is in, when an experiment splits `placement` at
/// `now`, and the model that arm serves if this replica has it.
pub fn assign(
    cache: &ModelCache,
    placement: &str,
    customer: Uuid,
    now: DateTime<Utc>,
) -> Option<(Assignment, Option<Arc<ActiveModel>>)> {
    let experiment = cache.experiments.splitting(placement, now)?;
    let index = rapport_online::assign(&experiment.key, customer, &experiment.weights());
    let arm = experiment.arms.get(index)?;
    let model = arm
        .model_id
        .and_then(|id| cache.model(&id))
        .or_else(|| cache.get(&arm.engine));
    let assignment = Assignment {
        experiment_id: experiment.id,
        key: experiment.key.clone(),
        arm: arm.name.clone(),
    };
    Some((assignment, model))
}
