//! `/segments`: the segments of the active segmentation model (profiles,
//! sizes, names), their customers, on-demand placement, and each
//! customer's segment history.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::entities::{customer, segment, segment_change};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::http::routes::customers::CustomerOut;
use crate::policy::{self, Action};
use crate::services::{Context, records, segments};
use crate::state::AppState;

/// A segment of the active segmentation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentOut {
    /// Stable across refits whose centres match.
    pub id: i32,
    /// The name users gave it.
    pub name: Option<String>,
    /// The model that found it.
    pub model_id: Uuid,
    /// Customers in it when the model was fitted.
    pub size: i64,
    /// Traits and a one-line summary (`recent, frequent, high spend: R 3 d, F 12, M 2,410`).
    #[schema(value_type = Object)]
    pub profile: Value,
    /// The centre in original units, by feature.
    #[schema(value_type = Object)]
    pub centre: Value,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<segment::Model> for SegmentOut {
    fn from(row: segment::Model) -> Self {
        Self {
            id: row.id,
            name: row.name,
            model_id: row.model_id,
            size: row.size,
            profile: row.profile,
            centre: row.centre,
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

/// Every segment, largest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentList {
    pub data: Vec<SegmentOut>,
}

/// The segments of the active segmentation, largest first (empty before one is activated).
#[utoipa::path(tag = "analytics", responses((status = 200, body = SegmentList)))]
#[get("/segments")]
async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let rows = segment::Entity::find()
        .order_by_desc(segment::Column::Size)
        .order_by_asc(segment::Column::Id)
        .all(&state.db)
        .await?;
    let data = rows.into_iter().map(SegmentOut::from).collect();
    Ok(HttpResponse::Ok().json(SegmentList { data }))
}

/// A new name for a segment (`null` clears it).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    /// 1 to 255 characters, or null.
    pub name: Option<String>,
}

/// Names a segment. `If-Match` (optional) must carry the current version.
#[utoipa::path(tag = "analytics", request_body = SegmentPatch,
    params(("id" = i32, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = SegmentOut), (status = 404, body = crate::http::error::Problem),
              (status = 412, body = crate::http::error::Problem)))]
#[patch("/segments/{id}")]
async fn rename(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    if_match: IfMatch,
    body: web::Json<SegmentPatch>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::TrainModels)?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    let row = segments::rename(&ctx, *id, body.into_inner().name, &if_match).await?;
    let version = row.version;
    Ok(with_etag(HttpResponse::Ok(), version).json(SegmentOut::from(row)))
}

/// The customers of a segment, paged.
#[utoipa::path(tag = "analytics", params(("id" = i32, Path), PageParams),
    responses((status = 200, body = Page<CustomerOut>), (status = 404, body = crate::http::error::Problem)))]
#[get("/segments/{id}/customers")]
async fn customers_of(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    segment::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("segment"))?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", customer::Column::CreatedAt)],
        "created_at",
    )?;
    let select = customer::Entity::find()
        .filter(customer::Column::SegmentId.eq(*id))
        .filter(customer::Column::DeletedAt.is_null());
    let rows = fetch_page(&state.db, select, sort, customer::Column::Id, &page).await?;
    let page = rows.try_map(|row| records::customer(&row).map(|r| CustomerOut::new(r, grant)))?;
    Ok(HttpResponse::Ok().json(page))
}

/// Whom to place.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// These customers (at most 10,000); every customer without a segment when absent.
    pub customer_ids: Option<Vec<Uuid>>,
}

/// What an assignment did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssignOutcome {
    /// Customers placed (those with data to place them by).
    pub placed: usize,
    /// Customers whose segment changed.
    pub changed: usize,
}

/// Places customers in the active segmentation's segments from their data as of now.
#[utoipa::path(tag = "analytics", request_body = AssignRequest,
    responses((status = 200, body = AssignOutcome), (status = 409, body = crate::http::error::Problem),
              (status = 422, body = crate::http::error::Problem)))]
#[post("/segments/assign")]
async fn assign(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<AssignRequest>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::TrainModels)?;
    let only = body.into_inner().customer_ids;
    if only.as_ref().is_some_and(|ids| ids.len() > 10_000) {
        return Err(
            crate::domain::DomainError::invalid("customer_ids", "at most 10,000 ids").into(),
        );
    }
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    let (placed, changed) = segments::assign(&ctx, only.as_deref()).await?;
    Ok(HttpResponse::Ok().json(AssignOutcome { placed, changed }))
}

/// One change of a customer's segment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentChangeOut {
    pub from_segment: Option<i32>,
    pub to_segment: Option<i32>,
    pub model_id: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

impl From<segment_change::Model> for SegmentChangeOut {
    fn from(row: segment_change::Model) -> Self {
        Self {
            from_segment: row.from_segment,
            to_segment: row.to_segment,
            model_id: row.model_id,
            changed_at: row.changed_at,
        }
    }
}

/// Query of the segment history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// At most this many, newest first (default 50, at most 500).
    pub limit: Option<u64>,
}

/// A customer's segment changes, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentHistory {
    pub data: Vec<SegmentChangeOut>,
}

/// The segments a customer was in, newest change first.
#[utoipa::path(tag = "analytics", params(("id" = Uuid, Path), HistoryQuery),
    responses((status = 200, body = SegmentHistory), (status = 404, body = crate::http::error::Problem)))]
#[get("/customers/{id}/segment-history")]
async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCustomers)?;
    super::filters::live_customer(&state.db, *id).await?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let rows = sea_orm::QuerySelect::limit(
        segment_change::Entity::find()
            .filter(segment_change::Column::CustomerId.eq(*id))
            .order_by_desc(segment_change::Column::ChangedAt)
            .order_by_desc(segment_change::Column::Id),
        limit,
    )
    .all(&state.db)
    .await?;
    let data = rows.into_iter().map(SegmentChangeOut::from).collect();
    Ok(HttpResponse::Ok().json(SegmentHistory { data }))
}

/// Mounts the segment routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(assign)
        .service(rename)
        .service(customers_of)
        .service(history);
}
