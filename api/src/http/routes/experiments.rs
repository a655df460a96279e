//! `/experiments` (admin, manager, analyst): A/B splits of a placement's
//! customers between recommendation models, and their results.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::BASE;
use super::online_metrics::attribution;
use crate::auth::Caller;
use crate::domain::experiment::{ArmSpec, ExperimentFields, ExperimentRecord};
use crate::entities::experiment::{self, Column};
use crate::http::error::ApiError;
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::ml::online;
use crate::policy::{self, Action};
use crate::services::{Context, experiments};
use crate::state::AppState;

/// One arm of an experiment.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArmInput {
    /// Unique within the experiment.
    pub name: String,
    /// The recommender serving the arm.
    pub engine: String,
    /// A model of that engine (active or not); none: its active model.
    pub model_id: Option<Uuid>,
    /// Relative share of the customers, above 0.
    pub weight: f64,
}

/// An experiment to start.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentInput {
    /// 1 to 64 lower-case letters, digits, `-` or `_`; the assignment hash
    /// uses it, so a customer stays in their arm.
    pub key: String,
    /// Defaults to the key.
    pub name: Option<String>,
    /// 2 to 10 arms; the first is the control the others are compared with.
    pub arms: Vec<ArmInput>,
    /// The placement split (every placement when absent); at most one
    /// experiment runs on a placement at a time.
    pub placement: Option<String>,
    /// Defaults to now.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// An experiment as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentOut {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub arms: Vec<ArmInput>,
    pub placement: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// `scheduled`, `running` or `ended`.
    pub status: String,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ExperimentRecord> for ExperimentOut {
    fn from(x: ExperimentRecord) -> Self {
        Self {
            status: x.status(Utc::now()).to_owned(),
            id: x.id,
            key: x.key,
            name: x.name,
            arms: x
                .arms
                .into_iter()
                .map(|a| ArmInput {
                    name: a.name,
                    engine: a.engine,
                    model_id: a.model_id,
                    weight: a.weight,
                })
                .collect(),
            placement: x.placement,
            starts_at: x.starts_at,
            ends_at: x.ends_at,
            stopped_at: x.stopped_at,
            version: x.version,
            created_by: x.created_by,
            created_at: x.created_at,
            updated_at: x.updated_at,
        }
    }
}

impl From<&ExperimentInput> for ExperimentFields {
    fn from(input: &ExperimentInput) -> Self {
        Self {
            key: input.key.clone(),
            name: input.name.clone().unwrap_or_else(|| input.key.clone()),
            arms: input
                .arms
                .iter()
                .map(|a| ArmSpec {
                    name: a.name.clone(),
                    engine: a.engine.clone(),
                    model_id: a.model_id,
                    weight: a.weight,
                })
                .collect(),
            placement: input.placement.clone(),
            starts_at: input.starts_at.unwrap_or_else(Utc::now),
            ends_at: input.ends_at,
        }
    }
}

/// A two-proportion z-test of an arm against the first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonOut {
    /// This arm's rate less the first arm's.
    pub difference: f64,
    pub z: f64,
    /// Two-sided.
    pub p_value: f64,
}

/// One arm's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArmResultOut {
    pub name: String,
    pub weight: f64,
    /// Distinct customers served a list in the arm.
    pub customers: u64,
    pub exposures: u64,
    /// Customers with an attributed interaction of the conversion kind.
    pub converted: u64,
    /// `converted / customers`.
    pub rate: f64,
    /// Wilson 95 % interval of the rate.
    pub interval_low: f64,
    pub interval_high: f64,
    /// Against the first arm; none for the first and when undefined.
    pub vs_first: Option<ComparisonOut>,
}

/// A chi-square test of the customers per arm against the weights.
#[derive(Debug, Serialize, ToSchema)]
pub struct SampleRatioOut {
    pub chi_square: f64,
    pub dof: usize,
    pub p_value: f64,
    /// p below 0.001: the split is broken (assignment or logging).
    pub mismatch: bool,
}

/// An experiment's results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsOut {
    pub key: String,
    pub status: String,
    pub conversion_kind: String,
    pub arms: Vec<ArmResultOut>,
    pub sample_ratio: Option<SampleRatioOut>,
}

/// `?kind=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// The converting kind, one of the attributed kinds (default `purchase`).
    pub kind: Option<String>,
}

fn context<'a>(state: &'a AppState, caller: &'a Caller) -> Result<Context<'a>, ApiError> {
    let grant = policy::require(caller, Action::RunExperiments)?;
    Ok(Context::for_caller(&state.db, caller, grant, &state.models))
}

/// Start an experiment. Honours `Idempotency-Key`; 409 `experiment_overlap`
/// when another splits the same placement in the same period.
#[utoipa::path(tag = "models", request_body = ExperimentInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = ExperimentOut, headers(("Location" = String))),
        (status = 409, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[post("/experiments")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<ExperimentInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let input = body.into_inner();
    let fields = ExperimentFields::from(&input);
    fields.check()?;
    let creation =
        match idempotency::begin(&state, &key, &caller, "POST /experiments", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let created = experiments::create(&ctx, &creation.txn, fields).await?;
    let location = format!("{BASE}/experiments/{}", created.key);
    let response = creation
        .finish(
            StatusCode::CREATED,
            Some(location),
            &ExperimentOut::from(created),
        )
        .await?;
    ctx.committed();
    // The models the arms name are loaded here at once (elsewhere, within a poll).
    if let Err(err) = state.models.refresh(&state.db).await {
        tracing::warn!(error = %err, "loading the experiment's models failed");
    }
    Ok(response)
}

/// List experiments (sort by created_at or key).
#[utoipa::path(tag = "models", params(PageParams), responses((status = 200, body = Page<ExperimentOut>)))]
#[get("/experiments")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::RunExperiments)?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", Column::CreatedAt), ("key", Column::Key)],
        "created_at",
    )?;
    let rows = fetch_page(
        &state.db,
        experiment::Entity::find(),
        sort,
        Column::Id,
        &page,
    )
    .await?;
    let rows = rows.try_map(|row| experiments::record(row).map(ExperimentOut::from))?;
    Ok(HttpResponse::Ok().json(rows))
}

/// One experiment.
#[utoipa::path(tag = "models", params(("key" = String, Path)),
    responses((status = 200, body = ExperimentOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/experiments/{key}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::RunExperiments)?;
    let found = experiments::find(&state.db, &key).await?;
    Ok(HttpResponse::Ok().json(ExperimentOut::from(found)))
}

/// Stop an experiment now: serving returns to the active models.
#[utoipa::path(tag = "models", params(("key" = String, Path)),
    responses((status = 200, body = ExperimentOut), (status = 404, body = crate::http::error::Problem)))]
#[post("/experiments/{key}/stop")]
async fn stop(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let stopped = experiments::stop(&context(&state, &caller)?, &key).await?;
    Ok(HttpResponse::Ok().json(ExperimentOut::from(stopped)))
}

/// Per arm: customers, exposures, converted customers, the rate with its
/// Wilson 95 % interval and the two-proportion z-test against the first
/// arm; and a sample-ratio check of the split.
#[utoipa::path(tag = "models", params(("key" = String, Path), ResultsQuery),
    responses((status = 200, body = ResultsOut), (status = 404, body = crate::http::error::Problem),
        (status = 422, body = crate::http::error::Problem)))]
#[get("/experiments/{key}/results")]
async fn results(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
    query: web::Query<ResultsQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::RunExperiments)?;
    let found = experiments::find(&state.db, &key).await?;
    let kind = query.kind.clone().unwrap_or_else(|| "purchase".to_owned());
    Ok(HttpResponse::Ok().json(results_of(&state, &found, &kind).await?))
}

/// The results of `found` with `kind` as the converting kind.
pub async fn results_of(
    state: &AppState,
    found: &ExperimentRecord,
    kind: &str,
) -> Result<ResultsOut, ApiError> {
    let attribution = attribution(state);
    if !attribution.kinds.iter().any(|k| k.as_str() == kind) {
        return Err(ApiError::invalid("kind", "not one of the attributed kinds"));
    }
    let now = Utc::now();
    let until = found.until().map_or(now, |u| u.min(now));
    let figures = online::results(&state.db, found, until, &attribution, kind).await?;
    Ok(ResultsOut {
        key: found.key.clone(),
        status: found.status(now).to_owned(),
        conversion_kind: figures.conversion_kind,
        arms: figures
            .arms
            .into_iter()
            .map(|a| ArmResultOut {
                name: a.name,
                weight: a.weight,
                customers: a.customers,
                exposures: a.exposures,
                converted: a.converted,
                rate: a.rate,
                interval_low: a.interval.0,
                interval_high: a.interval.1,
                vs_first: a.vs_first.map(|t| ComparisonOut {
                    difference: t.difference,
                    z: t.z,
                    p_value: t.p_value,
                }),
            })
            .collect(),
        sample_ratio: figures.sample_ratio.map(|s| SampleRatioOut {
            chi_square: s.chi_square,
            dof: s.dof,
            p_value: s.p_value,
            mismatch: s.mismatch,
        }),
    })
}

/// Mounts the experiment routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(stop)
        .service(results);
}
