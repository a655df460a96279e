//! `/items`: the catalogue of products and services.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{BASE, filters};
use crate::auth::Caller;
use crate::domain::item::{ItemChanges, ItemFields, ItemRecord};
use crate::domain::validation::nullable;
use crate::entities::item::{self, Column};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, versioned};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action, Grant};
use crate::services::{Context, items, records};
use crate::state::AppState;

/// An item to create, or to replace by SKU.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "COF-001", "name": "Espresso beans", "category": "coffee", "tags": ["beans"], "price": 24.5, "description": "Dark roast, 1 kg", "attributes": {"origin": "Brazil"}}))]
pub struct ItemInput {
    /// Stock-keeping unit, unique (1-255 characters).
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Up to 10,000 characters.
    pub description: Option<String>,
    /// Non-negative price; defaults to 0.
    #[serde(default)]
    pub price: f64,
    /// Flat object of numbers, strings and booleans.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Inactive items are kept but never recommended; defaults to true.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Fields to change; absent fields are left alone, `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    pub sku: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub price: Option<f64>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
    pub active: Option<bool>,
}

/// An item as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemOut {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub price: f64,
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ItemRecord> for ItemOut {
    fn from(row: ItemRecord) -> Self {
        Self {
            id: row.id,
            sku: row.sku,
            name: row.name,
            category: row.category,
            tags: row.tags,
            description: row.description,
            price: row.price,
            attributes: row.attributes,
            active: row.active,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Filters of `GET /items`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemFilters {
    /// Case-insensitive search over SKU, name and description.
    pub q: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub active: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
}

const SORTABLE: &[(&str, Column)] = &[
    ("created_at", Column::CreatedAt),
    ("updated_at", Column::UpdatedAt),
    ("name", Column::Name),
    ("sku", Column::Sku),
    ("price", Column::Price),
];

impl From<ItemInput> for ItemFields {
    fn from(input: ItemInput) -> Self {
        Self {
            sku: input.sku,
            name: input.name,
            category: input.category,
            tags: input.tags,
            description: input.description,
            price: input.price,
            attributes: input.attributes,
            active: input.active,
        }
    }
}

impl From<ItemPatch> for ItemChanges {
    fn from(patch: ItemPatch) -> Self {
        Self {
            sku: patch.sku,
            name: patch.name,
            category: patch.category,
            tags: patch.tags,
            description: patch.description,
            price: patch.price,
            attributes: patch.attributes,
            active: patch.active,
        }
    }
}

fn location(id: Uuid) -> String {
    format!("{BASE}/items/{id}")
}

/// 200 (or `status`) with the item and its version as `ETag`.
fn respond(status: StatusCode, record: ItemRecord) -> HttpResponse {
    let (id, version) = (record.id, record.version);
    versioned(status, version, || location(id), &ItemOut::from(record))
}

fn context<'a>(state: &'a AppState, caller: &'a Caller) -> Context<'a> {
    Context::for_caller(&state.db, caller, Grant::Full, &state.models)
}

/// List items, filtered, searched, sorted and paginated.
#[utoipa::path(tag = "items", params(ItemFilters, PageParams),
    responses((status = 200, body = Page<ItemOut>, description = "One page; sort by created_at, updated_at, name, sku or price")))]
#[get("/items")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<ItemFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCatalog)?;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "-created_at")?;
    let mut select = item::Entity::find();
    if let Some(q) = filters.q.as_deref().filter(|q| !q.trim().is_empty()) {
        select = select.filter(filters::search(
            &[Column::Sku, Column::Name, Column::Description],
            q,
        ));
    }
    if let Some(category) = &filters.category {
        select = select.filter(Column::Category.eq(category.as_str()));
    }
    if let Some(tag) = &filters.tag {
        select = select.filter(filters::has_tag(Column::TagIndex, tag));
    }
    if let Some(active) = filters.active {
        select = select.filter(Column::Active.eq(active));
    }
    if let Some(since) = filters.updated_since {
        select = select.filter(Column::UpdatedAt.gte(since));
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    let rows = rows.try_map(|row| records::item(&row).map(ItemOut::from))?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Create an item. Honours `Idempotency-Key`.
#[utoipa::path(tag = "items", request_body = ItemInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = ItemOut, headers(("Location" = String))),
        (status = 409, body = crate::http::error::Problem, description = "SKU already used")))]
#[post("/items")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<ItemInput>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteItems)?;
    let input = body.into_inner();
    let new = ItemFields::from(input.clone()).try_into()?;
    let ctx = context(&state, &caller);
    let creation = match idempotency::begin(&state, &key, &caller, "POST /items", &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let record = items::create(&ctx, &creation.txn, new).await?;
    let id = record.id;
    let response = creation
        .finish(
            StatusCode::CREATED,
            Some(location(id)),
            &ItemOut::from(record),
        )
        .await?;
    ctx.committed();
    Ok(response)
}

/// Get one item; the `ETag` is its version.
#[utoipa::path(tag = "items", params(("id" = Uuid, Path)),
    responses((status = 200, body = ItemOut, headers(("ETag" = String))), (status = 404, body = crate::http::error::Problem)))]
#[get("/items/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCatalog)?;
    let row = items::find(&state.db, *id).await?;
    Ok(respond(StatusCode::OK, records::item(&row)?))
}

/// Change some fields of an item. `If-Match` (optional) must carry the current version.
#[utoipa::path(tag = "items", request_body = ItemPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ItemOut), (status = 412, body = crate::http::error::Problem)))]
#[patch("/items/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<ItemPatch>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteItems)?;
    let record = items::update(
        &context(&state, &caller),
        *id,
        &if_match,
        body.into_inner().into(),
    )
    .await?;
    Ok(respond(StatusCode::OK, record))
}

/// Create or replace the item with this SKU (201 when created).
#[utoipa::path(tag = "items", request_body = ItemInput,
    params(("sku" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ItemOut, description = "Replaced"), (status = 201, body = ItemOut, description = "Created")))]
#[put("/items/by-sku/{sku}")]
async fn upsert(
    state: web::Data<AppState>,
    caller: Caller,
    sku: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<ItemInput>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteItems)?;
    let fields = ItemFields::from(body.into_inner());
    let (record, created) =
        items::upsert_by_sku(&context(&state, &caller), &sku, &if_match, fields).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond(status, record))
}

/// Delete an item. Items with recorded interactions are kept for history and
/// models: deactivate them instead (409).
#[utoipa::path(tag = "items", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem), (status = 409, body = crate::http::error::Problem)))]
#[delete("/items/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteItems)?;
    items::delete(&context(&state, &caller), *id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the item routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(upsert)
        .service(get_one)
        .service(update)
        .service(remove);
}
