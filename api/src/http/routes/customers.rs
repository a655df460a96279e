//! `/customers`: the people and accounts the teams work with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{BASE, filters, interactions};
use crate::auth::Caller;
use crate::domain::LifecycleStage;
use crate::domain::customer::{CustomerChanges, CustomerFields, CustomerRecord, PII};
use crate::domain::validation::nullable;
use crate::entities::customer::{self, Column};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, versioned};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action, Grant};
use crate::services::{Context, customers, records};
use crate::state::AppState;

/// A customer to create, or to replace by external id.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical Engines Ltd", "external_id": "crm-0001", "lifecycle_stage": "customer", "tags": ["vip"], "attributes": {"tenure_months": 14, "contract": "one-year"}}))]
pub struct CustomerInput {
    /// Full name or account name (1-255 characters).
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    /// Unique id in another system; `PUT /customers/by-external-id/{id}` upserts by it.
    pub external_id: Option<String>,
    pub segment: Option<String>,
    /// Defaults to `lead`.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// User who owns the customer.
    pub owner_id: Option<Uuid>,
    /// Up to 50 tags, 1-64 characters each, stored lower-case.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Flat object of numbers, strings and booleans (at most 100 keys).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
}

/// Fields to change; absent fields are left alone, `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub segment: Option<Option<String>>,
    pub lifecycle_stage: Option<LifecycleStage>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the attributes.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

/// A customer as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOut {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub segment: Option<String>,
    /// The segment of the active segmentation model (`GET /segments`).
    pub segment_id: Option<i32>,
    pub lifecycle_stage: LifecycleStage,
    pub owner_id: Option<Uuid>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// Incremented on every change; sent as the `ETag`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CustomerOut {
    /// The API view of a record, with personal data masked for a masked grant.
    pub fn new(row: CustomerRecord, grant: Grant) -> Self {
        let row = if grant == Grant::Masked {
            row.masked()
        } else {
            row
        };
        Self {
            id: row.id,
            name: row.name,
            email: row.email,
            phone: row.phone,
            external_id: row.external_id,
            company: row.company,
            segment: row.segment,
            segment_id: row.segment_id,
            lifecycle_stage: row.lifecycle_stage,
            owner_id: row.owner_id,
            tags: row.tags,
            attributes: row.attributes,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Filters of `GET /customers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerFilters {
    /// Case-insensitive search over name, e-mail and company.
    pub q: Option<String>,
    pub segment: Option<String>,
    /// Customers of this segment of the active segmentation.
    pub segment_id: Option<i32>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub owner_id: Option<Uuid>,
    /// Customers carrying this tag.
    pub tag: Option<String>,
    /// Customers changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

const SORTABLE: &[(&str, Column)] = &[
    ("created_at", Column::CreatedAt),
    ("updated_at", Column::UpdatedAt),
    ("name", Column::Name),
];

impl From<CustomerInput> for CustomerFields {
    fn from(input: CustomerInput) -> Self {
        Self {
            name: input.name,
            email: input.email,
            phone: input.phone,
            company: input.company,
            external_id: input.external_id,
            segment: input.segment,
            lifecycle_stage: input.lifecycle_stage,
            owner_id: input.owner_id,
            tags: input.tags,
            attributes: input.attributes,
        }
    }
}

impl From<CustomerPatch> for CustomerChanges {
    fn from(patch: CustomerPatch) -> Self {
        Self {
            name: patch.name,
            email: patch.email,
            phone: patch.phone,
            company: patch.company,
            external_id: patch.external_id,
            segment: patch.segment,
            lifecycle_stage: patch.lifecycle_stage,
            owner_id: patch.owner_id,
            tags: patch.tags,
            attributes: patch.attributes,
        }
    }
}

fn location(id: Uuid) -> String {
    format!("{BASE}/customers/{id}")
}

/// 200 (or `status`) with the customer and its version as `ETag`.
fn respond(status: StatusCode, record: CustomerRecord, grant: Grant) -> HttpResponse {
    let (id, version) = (record.id, record.version);
    versioned(
        status,
        version,
        || location(id),
        &CustomerOut::new(record, grant),
    )
}

fn context<'a>(state: &'a AppState, caller: &'a Caller, grant: Grant) -> Context<'a> {
    Context::for_caller(&state.db, caller, grant, &state.models)
}

/// List customers, filtered, searched, sorted and paginated.
#[utoipa::path(tag = "customers", params(CustomerFilters, PageParams),
    responses((status = 200, body = Page<CustomerOut>, description = "One page; sort by created_at, updated_at or name")))]
#[get("/customers")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<CustomerFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    // A masked caller may neither search nor sort on what is masked:
    // matching would tell which record holds a given e-mail.
    let sortable: Vec<(&str, Column)> = (SORTABLE.iter().copied())
        .filter(|(field, _)| grant != Grant::Masked || !PII.contains(field))
        .collect();
    let sort = Sort::parse(page.sort.as_deref(), &sortable, "-created_at")?;
    let mut select = customer::Entity::find().filter(Column::DeletedAt.is_null());
    if let Some(q) = filters.q.as_deref().filter(|q| !q.trim().is_empty()) {
        if grant == Grant::Masked {
            return Err(ApiError::invalid(
                "q",
                "searches name, e-mail and company, which this role may not read",
            ));
        }
        select = select.filter(filters::search(
            &[Column::Name, Column::Email, Column::Company],
            q,
        ));
    }
    if let Some(segment) = &filters.segment {
        select = select.filter(Column::Segment.eq(segment.as_str()));
    }
    if let Some(segment_id) = filters.segment_id {
        select = select.filter(Column::SegmentId.eq(segment_id));
    }
    if let Some(stage) = filters.lifecycle_stage {
        select = select.filter(Column::LifecycleStage.eq(stage.as_str()));
    }
    if let Some(owner) = filters.owner_id {
        select = select.filter(Column::OwnerId.eq(owner));
    }
    if let Some(tag) = &filters.tag {
        select = select.filter(filters::has_tag(Column::TagIndex, tag));
    }
    if let Some(since) = filters.updated_since {
        select = select.filter(Column::UpdatedAt.gte(since));
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    let rows = rows.try_map(|row| records::customer(&row).map(|r| CustomerOut::new(r, grant)))?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Create a customer. Honours `Idempotency-Key`.
#[utoipa::path(tag = "customers", request_body = CustomerInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = CustomerOut, headers(("Location" = String))),
        (status = 409, body = crate::http::error::Problem, description = "external_id already used")))]
#[post("/customers")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<CustomerInput>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::WriteCustomers)?;
    let input = body.into_inner();
    let new = CustomerFields::from(input.clone()).try_into()?;
    let ctx = context(&state, &caller, grant);
    let creation =
        match idempotency::begin(&state, &key, &caller, "POST /customers", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let record = customers::create(&ctx, &creation.txn, new).await?;
    let id = record.id;
    let response = creation
        .finish(
            StatusCode::CREATED,
            Some(location(id)),
            &CustomerOut::new(record, Grant::Full),
        )
        .await?;
    ctx.committed();
    Ok(response)
}

/// Get one customer; the `ETag` is its version.
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerOut, headers(("ETag" = String))),
        (status = 404, body = crate::http::error::Problem)))]
#[get("/customers/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    let row = customers::find_live(&state.db, *id).await?;
    Ok(respond(StatusCode::OK, records::customer(&row)?, grant))
}

/// Change some fields of a customer. `If-Match` (optional) must carry the current version.
#[utoipa::path(tag = "customers", request_body = CustomerPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CustomerOut), (status = 412, body = crate::http::error::Problem)))]
#[patch("/customers/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<CustomerPatch>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::WriteCustomers)?;
    let ctx = context(&state, &caller, grant);
    let record = customers::update(&ctx, *id, &if_match, body.into_inner().into()).await?;
    Ok(respond(StatusCode::OK, record, grant))
}

/// Create or replace the customer with this external id (201 when created).
#[utoipa::path(tag = "customers", request_body = CustomerInput,
    params(("external_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CustomerOut, description = "Replaced"),
        (status = 201, body = CustomerOut, description = "Created")))]
#[put("/customers/by-external-id/{external_id}")]
async fn upsert(
    state: web::Data<AppState>,
    caller: Caller,
    external_id: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<CustomerInput>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::WriteCustomers)?;
    let ctx = context(&state, &caller, grant);
    let fields = CustomerFields::from(body.into_inner());
    let (record, created) =
        customers::upsert_by_external_id(&ctx, &external_id, &if_match, fields).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond(status, record, grant))
}

/// The customer's interactions, newest first.
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path), interactions::InteractionFilters, PageParams),
    responses((status = 200, body = Page<interactions::InteractionOut>)))]
#[get("/customers/{id}/interactions")]
async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    filters: web::Query<interactions::InteractionFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    policy::require(&caller, Action::ReadCatalog)?;
    let customer = customers::find_live(&state.db, *id).await?;
    let mut filters = filters.into_inner();
    filters.customer_id = Some(customer.id);
    let rows = interactions::list_rows(&state.db, &filters, &page, grant).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Mounts the customer routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(upsert)
        .service(get_one)
        .service(update)
        .service(timeline);
}
