//! `/engines`: what can be trained, and `POST /engines/{name}/train`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use rapport_core::{ParamKind, ParamSpec, Search};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::domain::{DomainError, ErrorCode};
use crate::http::error::ApiError;
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::ml::catalogue::{self, EngineKind};
use crate::ml::jobs;
use crate::ml::train::{self, RawParams, TrainError};
use crate::policy::{self, Action};
use crate::state::AppState;

/// One parameter an engine accepts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParamOut {
    pub name: String,
    /// `int`, `float`, `bool`, `choice` or `text`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Allowed values of a `choice`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// The default, typed like the parameter.
    pub default: serde_json::Value,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub description: String,
    /// What `POST /engines/{name}/tune` searches; absent when the
    /// parameter is not tuned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchOut>,
}

/// The range a tuning search draws a parameter from.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    /// `uniform`, `log_uniform` (for scales) or `choices` (every value).
    pub distribution: &'static str,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl From<Search> for SearchOut {
    fn from(search: Search) -> Self {
        let (distribution, low, high) = match search {
            Search::Uniform { low, high } => ("uniform", Some(low), Some(high)),
            Search::LogUniform { low, high } => ("log_uniform", Some(low), Some(high)),
            Search::Choices => ("choices", None, None),
        };
        Self {
            distribution,
            low,
            high,
        }
    }
}

impl From<ParamSpec> for ParamOut {
    fn from(spec: ParamSpec) -> Self {
        let default = catalogue::typed_value(&spec, &spec.default);
        let (kind, choices) = match spec.kind {
            ParamKind::Int => ("int", Vec::new()),
            ParamKind::Float => ("float", Vec::new()),
            ParamKind::Bool => ("bool", Vec::new()),
            ParamKind::Choice(choices) => ("choice", choices),
            ParamKind::Text => ("text", Vec::new()),
        };
        Self {
            name: spec.name,
            kind,
            choices,
            default,
            min: spec.min,
            max: spec.max,
            description: spec.doc,
            search: spec.search.map(SearchOut::from),
        }
    }
}

/// A registered engine.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngineOut {
    pub name: String,
    pub kind: EngineKind,
    pub summary: String,
    pub params: Vec<ParamOut>,
    /// Data it learns from.
    pub needs: Vec<&'static str>,
}

/// A training request.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
    /// Parameter overrides, e.g. `{"neighbours": 100}`; see `GET /engines`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, Value>,
    /// Activate the model when training succeeds.
    #[serde(default)]
    pub activate: bool,
}

/// The queued job.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainAccepted {
    pub job_id: Uuid,
}

fn raw_params(params: &serde_json::Map<String, Value>) -> Result<RawParams, ApiError> {
    catalogue::raw_params(params).map_err(|name| {
        ApiError::invalid(
            format!("params.{name}"),
            "must be a string, a number or a boolean",
        )
    })
}

/// An optional JSON body: empty means the defaults; a body that is not JSON
/// is 400 `malformed_json`, one that does not fit `T` is 422.
pub(super) fn optional_body<T: Default + serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::Domain(DomainError::Invalid(vec![
                crate::http::error::FieldError::new("body", e.to_string()),
            ]))
        } else {
            ApiError::BadRequest {
                code: ErrorCode::MalformedJson,
                detail: format!("the body is not valid JSON: {e}"),
            }
        }
    })
}

/// Every engine, with its parameters (defaults and ranges).
#[utoipa::path(tag = "models", responses((status = 200, body = Vec<EngineOut>)))]
#[get("/engines")]
async fn list(caller: Caller) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let engines: Vec<EngineOut> = catalogue::descriptions()
        .into_iter()
        .map(|(kind, d)| EngineOut {
            name: d.name,
            kind,
            summary: d.summary,
            params: d.params.into_iter().map(ParamOut::from).collect(),
            needs: d.needs.iter().map(|n| n.as_str()).collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(engines))
}

/// Queue a training job (202 with the job's `Location`). Honours
/// `Idempotency-Key`. 422 when the parameters imply more memory than the
/// training budget; 429 when the caller already has as many jobs queued or
/// running as allowed.
#[utoipa::path(tag = "models", request_body = TrainRequest,
    params(("name" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 202, body = TrainAccepted, headers(("Location" = String))),
        (status = 404, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem),
        (status = 429, body = crate::http::error::Problem, headers(("Retry-After" = String)),
            description = "too many training jobs queued or running for this user (`rate_limited`)")))]
#[post("/engines/{name}/train")]
async fn train_engine(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::TrainModels)?;
    // The body is optional: no body means default parameters.
    let request: TrainRequest = optional_body(&body)?;
    if catalogue::engine_kind(&name).is_none() {
        return Err(ApiError::not_found("engine"));
    }
    let params = raw_params(&request.params)?;
    train::validate(&name, &params, state.training.memory_bytes()).map_err(refusal("params"))?;
    let job = jobs::NewJob::training(&name, &params, request.activate);
    accept_job(
        &state,
        &caller,
        &key,
        &format!("POST /engines/{name}/train"),
        &request,
        job,
    )
    .await
}

/// Queues `job` as the idempotent creation `scope` of `request`, within the
/// caller's share of the queue: 202 with the job's `Location`.
pub(super) async fn accept_job(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    scope: &str,
    request: &impl Serialize,
    job: jobs::NewJob,
) -> Result<HttpResponse, ApiError> {
    let creation = match idempotency::begin(state, key, caller, scope, request).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    if !caller.api_key {
        let limit = state.training.training_jobs_per_user;
        jobs::check_queue_share(&creation.txn, caller.user_id, limit).await?;
    }
    let requested_by = (!caller.api_key).then_some(caller.user_id);
    let job = jobs::enqueue(&creation.txn, job, requested_by).await?;
    creation
        .finish(
            StatusCode::ACCEPTED,
            Some(format!("{BASE}/jobs/{}", job.id)),
            &TrainAccepted { job_id: job.id },
        )
        .await
}

/// The API error of a refused engine request: 422 naming `field`.
pub(super) fn refusal(field: &str) -> impl Fn(TrainError) -> ApiError + '_ {
    move |e| match e {
        TrainError::Refused(message) => ApiError::invalid(field, message),
        TrainError::Internal(err) => ApiError::Domain(DomainError::Internal(err)),
    }
}

/// Mounts the engine routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(train_engine);
}
