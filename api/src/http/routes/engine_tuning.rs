//! `POST /engines/{name}/tune`: a search for the best parameters of one
//! recommender, or of every recommender (`auto`), as a job.

use actix_web::{HttpResponse, post, web};
use rapport_tune::Metric;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::engines::{TrainAccepted, accept_job, optional_body, refusal};
use crate::auth::Caller;
use crate::http::error::ApiError;
use crate::http::idempotency::IdempotencyKey;
use crate::ml::jobs;
use crate::ml::tuning::{self, AUTO, TuneSettings};
use crate::policy::{self, Action};
use crate::state::AppState;

/// A tuning request; every field is optional.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TuneRequest {
    /// Trials in all, 1 to 200 (default 30); for `auto`, shared
    /// round-robin across the recommenders, each starting from its defaults.
    pub trials: Option<usize>,
    /// The validation metric at 10 that ranks trials and decides
    /// promotion: `ndcg` (default), `precision`, `recall` or `map`.
    pub metric: Option<String>,
    /// Activate the winner only if it beats the active model of the same
    /// engine (for `auto`, of the default engine) on the same validation
    /// split by at least `margin`; the job's `outcome` records the decision.
    #[serde(default)]
    pub activate_if_better: bool,
    /// Relative improvement required to activate, 0 to 1 (default 0.01: 1 %).
    pub margin: Option<f64>,
    /// Seed of the search (default 42): the same seed on the same data gives
    /// the same trials.
    pub seed: Option<u64>,
}

impl TuneRequest {
    fn settings(&self, default_engine: &str) -> Result<TuneSettings, ApiError> {
        let defaults = TuneSettings::default();
        let metric = match &self.metric {
            Some(raw) => raw
                .parse::<Metric>()
                .map_err(|message| ApiError::invalid("metric", message))?,
            None => defaults.metric,
        };
        Ok(TuneSettings {
            trials: self.trials.unwrap_or(defaults.trials),
            metric,
            margin: self.margin.unwrap_or(defaults.margin),
            seed: self.seed.unwrap_or(defaults.seed),
            baseline_engine: Some(default_engine.to_owned()),
        })
    }
}

/// Queue a search for the best parameters of a recommender, or of every
/// recommender (`auto`): 202 with the job's `Location`. The result is a
/// stored model with its trial table under `metrics.tuning`. Honours
/// `Idempotency-Key`; 429 when the caller already has as many jobs queued or
/// running as allowed.
#[utoipa::path(tag = "models", request_body = TuneRequest,
    params(("name" = String, Path, description = "a recommender, or `auto`"), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = TrainAccepted, headers(("Location" = String))),
        (status = 404, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem),
        (status = 429, body = crate::http::error::Problem, headers(("Retry-After" = String)),
            description = "too many training jobs queued or running for this user (`rate_limited`)")))]
#[post("/engines/{name}/tune")]
async fn tune_engine(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::TrainModels)?;
    let request: TuneRequest = optional_body(&body)?;
    if *name != AUTO && crate::ml::engine_kind(&name).is_none() {
        return Err(ApiError::not_found("engine"));
    }
    let settings = request.settings(&state.default_engine)?;
    tuning::validate(&name, &settings).map_err(refusal("body"))?;
    let job = jobs::NewJob::tuning(&name, &settings, request.activate_if_better);
    accept_job(
        &state,
        &caller,
        &key,
        &format!("POST /engines/{name}/tune"),
        &request,
        job,
    )
    .await
}

/// Mounts the tuning route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(tune_engine);
}
