//! `GET /models/{id}/online-metrics`: what a model's served lists led to,
//! per day or hour: exposures, customers reached, impressions, attributed
//! interactions and rates per kind, revenue, positive feedback rate.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Duration, Utc};
use rapport_online::{Bucket, Interval};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::entities::model;
use crate::http::error::ApiError;
use crate::ml::online::{self, Attribution, ExposureFilter};
use crate::policy::{self, Action};
use crate::state::AppState;

/// Longest period one request covers.
const MAX_DAYS: i64 = 366;

/// `?from=&to=&placement=&interval=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnlineQuery {
    /// Lists served from (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Lists served before (default: now).
    pub to: Option<DateTime<Utc>>,
    /// Only lists of this placement.
    pub placement: Option<String>,
    /// `day` (default) or `hour`.
    pub interval: Option<String>,
}

/// One interval's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntervalOut {
    /// The interval's start (UTC).
    pub start: DateTime<Utc>,
    pub exposures: u64,
    /// Distinct customers reached.
    pub customers: u64,
    /// Items shown (confirmed impressions, or every served item).
    pub impressions: u64,
    /// Attributed (list, item) pairs per interaction kind.
    pub actions: BTreeMap<String, u64>,
    /// `actions[kind] / impressions`: click-through for `click`, conversion
    /// for `cart` and `purchase`.
    pub rates: BTreeMap<String, f64>,
    /// Sum of the `value` of the attributed purchases.
    pub revenue: f64,
    /// For each customer reached, the share of the items shown to them they
    /// then interacted with positively; the mean over customers (Gorse's).
    pub positive_feedback_rate: f64,
}

impl From<Bucket> for IntervalOut {
    fn from(b: Bucket) -> Self {
        Self {
            start: b.start,
            exposures: b.exposures,
            customers: b.customers,
            impressions: b.impressions,
            actions: b.actions,
            rates: b.rates,
            revenue: b.revenue,
            positive_feedback_rate: b.positive_feedback_rate,
        }
    }
}

/// A model's online metrics.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnlineMetrics {
    pub model_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub placement: Option<String>,
    /// `day` or `hour`.
    pub interval: String,
    /// The attribution window, in seconds.
    pub window_seconds: i64,
    /// The interaction kinds attributed.
    pub kinds: Vec<String>,
    /// The intervals with at least one exposure, oldest first.
    pub intervals: Vec<IntervalOut>,
}

/// The attribution the service is configured with.
pub fn attribution(state: &AppState) -> Attribution {
    Attribution {
        window: state.online.window(),
        kinds: state.online.attribution_kinds.0.clone(),
    }
}

/// What a model's served lists led to, per day (or hour). An interaction of
/// an attributed kind (`RAPPORT_ATTRIBUTION_KINDS`) on a shown item, by the
/// same customer, within `RAPPORT_ATTRIBUTION_WINDOW` after a list, counts
/// for the latest such list (or the list it names by `exposure_id`).
#[utoipa::path(tag = "models", params(("id" = Uuid, Path), OnlineQuery),
    responses((status = 200, body = OnlineMetrics), (status = 404, body = crate::http::error::Problem),
        (status = 422, body = crate::http::error::Problem)))]
#[get("/models/{id}/online-metrics")]
async fn model_online_metrics(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<OnlineQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let (interval, name) = match query.interval.as_deref() {
        None | Some("day") => (Interval::Day, "day"),
        Some("hour") => (Interval::Hour, "hour"),
        Some(_) => return Err(ApiError::invalid("interval", "`day` or `hour`")),
    };
    let to = query.to.unwrap_or_else(Utc::now);
    let from = query.from.unwrap_or_else(|| {
        to.checked_sub_signed(Duration::days(30))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    });
    if from >= to || to - from > Duration::days(MAX_DAYS) {
        return Err(ApiError::invalid(
            "from",
            format!("must be before `to`, at most {MAX_DAYS} days"),
        ));
    }
    model::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("model"))?;
    let figures = figures(
        &state,
        *id,
        query.placement.clone(),
        (from, to),
        (interval, name),
    )
    .await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// The online metrics of model `id` over `period`, per `interval`.
pub async fn figures(
    state: &AppState,
    id: Uuid,
    placement: Option<String>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    (interval, name): (Interval, &str),
) -> Result<OnlineMetrics, ApiError> {
    let filter = ExposureFilter {
        model_id: Some(id),
        experiment_id: None,
        placement: placement.clone(),
        from,
        to,
    };
    let attribution = attribution(state);
    let buckets = online::model_metrics(&state.db, &filter, &attribution, interval).await?;
    Ok(OnlineMetrics {
        model_id: id,
        from,
        to,
        placement,
        interval: name.to_owned(),
        window_seconds: attribution.window.num_seconds(),
        kinds: attribution
            .kinds
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect(),
        intervals: buckets.into_iter().map(IntervalOut::from).collect(),
    })
}

/// The daily online metrics of model `id` over the last 30 days.
pub async fn last_month(state: &AppState, id: Uuid) -> Result<OnlineMetrics, ApiError> {
    let to = Utc::now();
    figures(
        state,
        id,
        None,
        (to - Duration::days(30), to),
        (Interval::Day, "day"),
    )
    .await
}

/// Mounts the route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(model_online_metrics);
}
