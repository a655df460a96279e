//! `/items`: the catalogue of products and services.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{BASE, filters};
use crate::audit::{self, Actor, Event};
use crate::auth::Caller;
use crate::entities::item::{self, Column};
use crate::error::ApiError;
use crate::etag::{IfMatch, update_if_version, with_etag};
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::state::AppState;
use crate::validation::{Checks, LONG_TEXT, SHORT_TEXT, normalise_tags, nullable, tag_index};

/// An item to create, or to replace by SKU.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
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
    pub attributes: Value,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<item::Model> for ItemOut {
    fn from(row: item::Model) -> Self {
        Self {
            id: row.id,
            sku: row.sku,
            name: row.name,
            category: row.category,
            tags: serde_json::from_value(row.tags).unwrap_or_default(),
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

/// Validates an item to create or replace.
pub(crate) fn check_input(input: &ItemInput) -> Result<(), ApiError> {
    let mut checks = Checks::default();
    checks.text("sku", &input.sku, SHORT_TEXT);
    checks.text("name", &input.name, SHORT_TEXT);
    checks.opt_text("category", input.category.as_deref(), 100);
    checks.opt_text("description", input.description.as_deref(), LONG_TEXT);
    if !input.price.is_finite() || input.price < 0.0 {
        checks.fail("price", "must be a non-negative number");
    }
    checks.tags("tags", &input.tags);
    checks.attributes("attributes", &input.attributes);
    checks.finish()
}

/// Every column of a full record from validated input.
pub(crate) fn full_record(input: ItemInput) -> item::ActiveModel {
    let tags = normalise_tags(&input.tags);
    item::ActiveModel {
        sku: Set(input.sku),
        name: Set(input.name),
        category: Set(input.category),
        tag_index: Set(tag_index(&tags)),
        tags: Set(Value::from(tags)),
        description: Set(input.description),
        price: Set(input.price),
        attributes: Set(Value::Object(input.attributes)),
        active: Set(input.active),
        ..Default::default()
    }
}

/// A record to insert: every column from validated input, a fresh UUIDv7,
/// version 1 and both timestamps `now`.
pub(crate) fn new_record(input: ItemInput, now: DateTime<Utc>) -> item::ActiveModel {
    let mut record = full_record(input);
    record.id = Set(Uuid::now_v7());
    record.version = Set(1);
    record.created_at = Set(now);
    record.updated_at = Set(now);
    record
}

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<item::Model, ApiError> {
    item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("item"))
}

fn ok_with_etag(row: item::Model) -> HttpResponse {
    let version = row.version;
    with_etag(HttpResponse::Ok(), version).json(ItemOut::from(row))
}

async fn insert(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    input: ItemInput,
    scope: &str,
) -> Result<HttpResponse, ApiError> {
    let creation = match idempotency::begin(&state.db, key, caller, scope, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let record = new_record(input, Utc::now());
    let row = item::Entity::insert(record)
        .exec_with_returning(&creation.txn)
        .await?;
    let location = format!("{BASE}/items/{}", row.id);
    let out = ItemOut::from(row);
    let diff = audit::diff(None, Some(&audit::snapshot(&out)), &[]);
    let event = Event::new("item.create", "item", Some(out.id)).with_changes(diff);
    audit::record(&creation.txn, &Actor::from(caller), event).await?;
    creation
        .finish(StatusCode::CREATED, Some(location), &out)
        .await
}

async fn replace(
    state: &AppState,
    caller: &Caller,
    current: item::Model,
    input: ItemInput,
) -> Result<HttpResponse, ApiError> {
    check_input(&input)?;
    let mut changes = full_record(input);
    changes.id = NotSet;
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let txn = state.db.begin().await?;
    update_if_version::<item::Entity, _>(
        &txn,
        changes,
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    let updated = find(&txn, current.id).await?;
    let snapshot = |row: &item::Model| audit::snapshot(&ItemOut::from(row.clone()));
    let diff = audit::diff(Some(&snapshot(&current)), Some(&snapshot(&updated)), &[]);
    let event = Event::new("item.update", "item", Some(current.id)).with_changes(diff);
    audit::record(&txn, &Actor::from(caller), event).await?;
    txn.commit().await?;
    state.models.listing.note(&updated);
    Ok(ok_with_etag(updated))
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
    Ok(HttpResponse::Ok().json(rows.map(ItemOut::from)))
}

/// Create an item. Honours `Idempotency-Key`.
#[utoipa::path(tag = "items", request_body = ItemInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = ItemOut, headers(("Location" = String))),
        (status = 409, body = crate::error::Problem, description = "SKU already used")))]
#[post("/items")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<ItemInput>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteItems)?;
    let input = body.into_inner();
    check_input(&input)?;
    insert(&state, &caller, &key, input, "POST /items").await
}

/// Get one item; the `ETag` is its version.
#[utoipa::path(tag = "items", params(("id" = Uuid, Path)),
    responses((status = 200, body = ItemOut, headers(("ETag" = String))), (status = 404, body = crate::error::Problem)))]
#[get("/items/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCatalog)?;
    Ok(ok_with_etag(find(&state.db, *id).await?))
}

/// Change some fields of an item. `If-Match` (optional) must carry the current version.
#[utoipa::path(tag = "items", request_body = ItemPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ItemOut), (status = 412, body = crate::error::Problem)))]
#[patch("/items/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<ItemPatch>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteItems)?;
    let current = find(&state.db, *id).await?;
    if_match.check(current.version)?;
    let patch = body.into_inner();
    let merged = ItemInput {
        sku: patch.sku.unwrap_or(current.sku.clone()),
        name: patch.name.unwrap_or(current.name.clone()),
        category: patch.category.unwrap_or(current.category.clone()),
        tags: patch
            .tags
            .unwrap_or_else(|| serde_json::from_value(current.tags.clone()).unwrap_or_default()),
        description: patch.description.unwrap_or(current.description.clone()),
        price: patch.price.unwrap_or(current.price),
        attributes: patch
            .attributes
            .unwrap_or_else(|| match &current.attributes {
                Value::Object(map) => map.clone(),
                _ => Map::new(),
            }),
        active: patch.active.unwrap_or(current.active),
    };
    replace(&state, &caller, current, merged).await
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
    let sku = sku.into_inner();
    let input = body.into_inner();
    if input.sku != sku {
        return Err(ApiError::invalid("sku", "differs from the SKU in the path"));
    }
    check_input(&input)?;
    let existing = item::Entity::find()
        .filter(Column::Sku.eq(sku.as_str()))
        .one(&state.db)
        .await?;
    match existing {
        Some(current) => {
            if_match.check(current.version)?;
            replace(&state, &caller, current, input).await
        }
        None => {
            insert(
                &state,
                &caller,
                &IdempotencyKey::none(),
                input,
                "PUT /items",
            )
            .await
        }
    }
}

/// Delete an item. Items with recorded interactions are kept for history and
/// models: deactivate them instead (409).
#[utoipa::path(tag = "items", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
#[delete("/items/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteItems)?;
    let current = find(&state.db, *id).await?;
    if_match.check(current.version)?;
    let used = crate::entities::interaction::Entity::find()
        .filter(crate::entities::interaction::Column::ItemId.eq(current.id))
        .one(&state.db)
        .await?;
    if used.is_some() {
        return Err(ApiError::Conflict {
            code: "item_in_use",
            detail: "the item has interactions; set active to false instead".to_owned(),
        });
    }
    let txn = state.db.begin().await?;
    let deleted = item::Entity::delete_many()
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::PreconditionFailed(
            "the item was changed by another request; fetch it again".to_owned(),
        ));
    }
    let diff = audit::diff(Some(&audit::snapshot(&ItemOut::from(current))), None, &[]);
    let event = Event::new("item.delete", "item", Some(*id)).with_changes(diff);
    audit::record(&txn, &Actor::from(&caller), event).await?;
    txn.commit().await?;
    state.models.listing.forget(*id);
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
