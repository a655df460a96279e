//! `/recommendation-rules` (admin, manager, marketing): merchandising rules
//! applied to every recommendation and similar-items list: pin an item at a
//! position, boost or bury a category, tag or item by a factor, hide items,
//! categories or tags, each with an optional validity period.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::domain::RuleAction;
use crate::domain::recommendation_rule::{RuleChanges, RuleFields, RuleRecord};
use crate::domain::validation::nullable;
use crate::entities::recommendation_rule::{self, Column};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::services::{Context, recommendation_rules};
use crate::state::AppState;

/// A rule to create: one target (`item_id`, `category` or `tag`) and the
/// values its action needs (`position` for a pin, `factor` above 1 for a
/// boost or bury).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    /// `pin`, `boost`, `bury` or `hide`.
    pub action: RuleAction,
    pub item_id: Option<Uuid>,
    pub category: Option<String>,
    pub tag: Option<String>,
    /// 1-based position of a pinned item.
    pub position: Option<i32>,
    /// A boost multiplies the targeted items' scores by it, a bury divides them.
    pub factor: Option<f64>,
    /// In force from (always, when absent).
    pub starts_at: Option<DateTime<Utc>>,
    /// In force until, exclusive (forever, when absent).
    pub ends_at: Option<DateTime<Utc>>,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// Fields to change; absent fields are left alone, `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatch {
    pub name: Option<String>,
    pub action: Option<RuleAction>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub item_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub tag: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub position: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub factor: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub active: Option<bool>,
}

/// A rule as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    pub id: Uuid,
    pub name: String,
    pub action: RuleAction,
    pub item_id: Option<Uuid>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub position: Option<i32>,
    pub factor: Option<f64>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub active: bool,
    /// Whether it applies now: active and within its period.
    pub in_force: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<RuleRecord> for RuleOut {
    fn from(r: RuleRecord) -> Self {
        Self {
            in_force: r.in_force(Utc::now()),
            id: r.id,
            name: r.name,
            action: r.action,
            item_id: r.item_id,
            category: r.category,
            tag: r.tag,
            position: r.position,
            factor: r.factor,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            active: r.active,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl From<&RuleInput> for RuleFields {
    fn from(input: &RuleInput) -> Self {
        Self {
            name: input.name.clone(),
            action: input.action,
            item_id: input.item_id,
            category: input.category.clone(),
            tag: input.tag.clone(),
            position: input.position,
            factor: input.factor,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            active: input.active,
        }
    }
}

impl From<RulePatch> for RuleChanges {
    fn from(p: RulePatch) -> Self {
        Self {
            name: p.name,
            action: p.action,
            item_id: p.item_id,
            category: p.category,
            tag: p.tag,
            position: p.position,
            factor: p.factor,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            active: p.active,
        }
    }
}

fn ok_with_etag(record: RuleRecord) -> HttpResponse {
    let version = record.version;
    with_etag(HttpResponse::Ok(), version).json(RuleOut::from(record))
}

fn context<'a>(state: &'a AppState, caller: &'a Caller) -> Result<Context<'a>, ApiError> {
    let grant = policy::require(caller, Action::Merchandise)?;
    Ok(Context::for_caller(&state.db, caller, grant, &state.models))
}

/// Create a rule; it applies to the lists served from then on. Honours `Idempotency-Key`.
#[utoipa::path(tag = "predictions", request_body = RuleInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = RuleOut, headers(("Location" = String))), (status = 422, body = crate::http::error::Problem)))]
#[post("/recommendation-rules")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<RuleInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let input = body.into_inner();
    let fields = RuleFields::from(&input);
    // Checked before the key is claimed, so a refused body claims nothing.
    recommendation_rules::check(&fields)?;
    let path = "POST /recommendation-rules";
    let creation = match idempotency::begin(&state, &key, &caller, path, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let created = recommendation_rules::create(&ctx, &creation.txn, fields).await?;
    let location = format!("{BASE}/recommendation-rules/{}", created.id);
    let response = creation
        .finish(StatusCode::CREATED, Some(location), &RuleOut::from(created))
        .await?;
    ctx.committed();
    Ok(response)
}

/// List rules (sort by created_at or name).
#[utoipa::path(tag = "predictions", params(PageParams), responses((status = 200, body = Page<RuleOut>)))]
#[get("/recommendation-rules")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Merchandise)?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", Column::CreatedAt), ("name", Column::Name)],
        "created_at",
    )?;
    let select = recommendation_rule::Entity::find();
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    let rows = rows.try_map(|row| recommendation_rules::record(row).map(RuleOut::from))?;
    Ok(HttpResponse::Ok().json(rows))
}

/// One rule; the `ETag` is its version.
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path)),
    responses((status = 200, body = RuleOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/recommendation-rules/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::Merchandise)?;
    let row = recommendation_rules::find(&state.db, *id).await?;
    Ok(ok_with_etag(recommendation_rules::record(row)?))
}

/// Change a rule (`If-Match` optional).
#[utoipa::path(tag = "predictions", request_body = RulePatch, params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RuleOut), (status = 404, body = crate::http::error::Problem),
        (status = 412, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[patch("/recommendation-rules/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<RulePatch>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let changes = RuleChanges::from(body.into_inner());
    let updated = recommendation_rules::update(&ctx, *id, &if_match, changes).await?;
    Ok(ok_with_etag(updated))
}

/// Delete a rule.
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem),
        (status = 412, body = crate::http::error::Problem)))]
#[delete("/recommendation-rules/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    recommendation_rules::delete(&context(&state, &caller)?, *id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the rule routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove);
}
