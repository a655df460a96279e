//! `/customers`: the people and accounts the teams work with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{BASE, filters, interactions};
use crate::audit::{self, Actor, Event};
use crate::auth::Caller;
use crate::entities::customer::{self, Column};
use crate::error::ApiError;
use crate::etag::{IfMatch, update_if_version, with_etag};
use crate::hooks;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action, Grant};
use crate::privacy;
use crate::state::AppState;
use crate::validation::{Checks, SHORT_TEXT, normalise_tags, nullable, tag_index};

/// Where a customer is in the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    Lead,
    Prospect,
    Customer,
    Churned,
}

impl LifecycleStage {
    /// Every stage.
    pub const ALL: [Self; 4] = [Self::Lead, Self::Prospect, Self::Customer, Self::Churned];

    /// The stage named `raw`.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The stage's name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Prospect => "prospect",
            Self::Customer => "customer",
            Self::Churned => "churned",
        }
    }
}

/// A customer to create, or to replace by external id.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
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
    pub lifecycle_stage: String,
    pub owner_id: Option<Uuid>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    /// Incremented on every change; sent as the `ETag`.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CustomerOut {
    /// The API view of a row, with personal data masked for a masked grant.
    pub fn new(row: customer::Model, grant: Grant) -> Self {
        let masked = grant == Grant::Masked;
        let mask = |v: Option<String>, f: fn(&str) -> String| {
            if masked { v.map(|s| f(&s)) } else { v }
        };
        Self {
            id: row.id,
            name: if masked {
                privacy::mask_name(&row.name)
            } else {
                row.name
            },
            email: mask(row.email, privacy::mask_email),
            phone: mask(row.phone, privacy::mask_phone),
            external_id: row.external_id,
            company: row.company,
            segment: row.segment,
            lifecycle_stage: row.lifecycle_stage,
            owner_id: row.owner_id,
            tags: serde_json::from_value(row.tags).unwrap_or_default(),
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
    pub lifecycle_stage: Option<LifecycleStage>,
    pub owner_id: Option<Uuid>,
    /// Customers carrying this tag.
    pub tag: Option<String>,
    /// Customers changed at or after this instant.
    pub updated_since: Option<DateTime<Utc>>,
}

/// Personal fields, redacted in the audit log and removed by erasure.
pub const PII: &[&str] = &["name", "email", "phone", "company", "external_id"];

const SORTABLE: &[(&str, Column)] = &[
    ("created_at", Column::CreatedAt),
    ("updated_at", Column::UpdatedAt),
    ("name", Column::Name),
];

/// Validates a customer to create or replace.
pub(crate) fn check_input(input: &CustomerInput) -> Result<(), ApiError> {
    let mut checks = Checks::default();
    checks.text("name", &input.name, SHORT_TEXT);
    checks.email("email", input.email.as_deref());
    checks.opt_text("phone", input.phone.as_deref(), 50);
    checks.opt_text("company", input.company.as_deref(), SHORT_TEXT);
    checks.opt_text("external_id", input.external_id.as_deref(), SHORT_TEXT);
    checks.opt_text("segment", input.segment.as_deref(), 100);
    checks.tags("tags", &input.tags);
    checks.attributes("attributes", &input.attributes);
    checks.finish()
}

/// Every column of a full record from validated input.
pub(crate) fn full_record(input: CustomerInput) -> customer::ActiveModel {
    let tags = normalise_tags(&input.tags);
    customer::ActiveModel {
        external_id: Set(input.external_id),
        name: Set(input.name),
        email: Set(input.email),
        phone: Set(input.phone),
        company: Set(input.company),
        segment: Set(input.segment),
        lifecycle_stage: Set(input
            .lifecycle_stage
            .unwrap_or(LifecycleStage::Lead)
            .as_str()
            .to_owned()),
        owner_id: Set(input.owner_id),
        tag_index: Set(tag_index(&tags)),
        tags: Set(Value::from(tags)),
        attributes: Set(Value::Object(input.attributes)),
        ..Default::default()
    }
}

/// A record to insert: every column from validated input, a fresh UUIDv7,
/// version 1 and both timestamps `now`.
pub(crate) fn new_record(input: CustomerInput, now: DateTime<Utc>) -> customer::ActiveModel {
    let mut record = full_record(input);
    record.id = Set(Uuid::now_v7());
    record.version = Set(1);
    record.created_at = Set(now);
    record.updated_at = Set(now);
    record
}

/// The audited view of a row (the diff redacts its personal fields).
pub fn audit_view(row: &customer::Model) -> Value {
    audit::snapshot(&CustomerOut::new(row.clone(), Grant::Full))
}

/// The id of a live (not deleted) customer, or 404; reads no other column.
pub async fn ensure_live(db: &impl ConnectionTrait, id: Uuid) -> Result<Uuid, ApiError> {
    customer::Entity::find_by_id(id)
        .select_only()
        .column(Column::Id)
        .filter(Column::DeletedAt.is_null())
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))
}

/// A live (not deleted) customer, or 404.
pub async fn find_live(db: &impl ConnectionTrait, id: Uuid) -> Result<customer::Model, ApiError> {
    customer::Entity::find_by_id(id)
        .filter(Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))
}

fn location(id: Uuid) -> String {
    format!("{BASE}/customers/{id}")
}

fn ok_with_etag(row: customer::Model, grant: Grant) -> HttpResponse {
    let version = row.version;
    with_etag(HttpResponse::Ok(), version).json(CustomerOut::new(row, grant))
}

async fn insert(
    state: &AppState,
    caller: &Caller,
    key: &IdempotencyKey,
    input: CustomerInput,
    scope: &str,
) -> Result<HttpResponse, ApiError> {
    let creation = match idempotency::begin(&state.db, key, caller, scope, &input).await? {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let record = new_record(input, Utc::now());
    let row = customer::Entity::insert(record)
        .exec_with_returning(&creation.txn)
        .await?;
    let id = row.id;
    let out = CustomerOut::new(row, Grant::Full);
    let diff = audit::diff(None, Some(&audit::snapshot(&out)), PII);
    let event = Event::new("customer.create", "customer", Some(id)).with_changes(diff);
    audit::record(&creation.txn, &Actor::from(caller), event).await?;
    hooks::customer_created(&creation.txn, &out).await?;
    creation
        .finish(StatusCode::CREATED, Some(location(id)), &out)
        .await
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
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "-created_at")?;
    let mut select = customer::Entity::find().filter(Column::DeletedAt.is_null());
    if let Some(q) = filters.q.as_deref().filter(|q| !q.trim().is_empty()) {
        select = select.filter(filters::search(
            &[Column::Name, Column::Email, Column::Company],
            q,
        ));
    }
    if let Some(segment) = &filters.segment {
        select = select.filter(Column::Segment.eq(segment.as_str()));
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
    Ok(HttpResponse::Ok().json(rows.map(|row| CustomerOut::new(row, grant))))
}

/// Create a customer. Honours `Idempotency-Key`.
#[utoipa::path(tag = "customers", request_body = CustomerInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = CustomerOut, headers(("Location" = String))),
        (status = 409, body = crate::error::Problem, description = "external_id already used")))]
#[post("/customers")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<CustomerInput>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::WriteCustomers)?;
    let input = body.into_inner();
    check_input(&input)?;
    grant.check_owner(&caller, input.owner_id)?;
    insert(&state, &caller, &key, input, "POST /customers").await
}

/// Get one customer; the `ETag` is its version.
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerOut, headers(("ETag" = String))),
        (status = 404, body = crate::error::Problem)))]
#[get("/customers/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    Ok(ok_with_etag(find_live(&state.db, *id).await?, grant))
}

/// Change some fields of a customer. `If-Match` (optional) must carry the current version.
#[utoipa::path(tag = "customers", request_body = CustomerPatch,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = CustomerOut), (status = 412, body = crate::error::Problem)))]
#[patch("/customers/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<CustomerPatch>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::WriteCustomers)?;
    let current = find_live(&state.db, *id).await?;
    grant.check_owner(&caller, current.owner_id)?;
    if_match.check(current.version)?;
    let patch = body.into_inner();
    let merged = CustomerInput {
        name: patch.name.unwrap_or(current.name.clone()),
        email: patch.email.unwrap_or(current.email.clone()),
        phone: patch.phone.unwrap_or(current.phone.clone()),
        company: patch.company.unwrap_or(current.company.clone()),
        external_id: patch.external_id.unwrap_or(current.external_id.clone()),
        segment: patch.segment.unwrap_or(current.segment.clone()),
        lifecycle_stage: patch
            .lifecycle_stage
            .or_else(|| LifecycleStage::parse(&current.lifecycle_stage)),
        owner_id: patch.owner_id.unwrap_or(current.owner_id),
        tags: patch
            .tags
            .unwrap_or_else(|| serde_json::from_value(current.tags.clone()).unwrap_or_default()),
        attributes: patch
            .attributes
            .unwrap_or_else(|| match &current.attributes {
                Value::Object(map) => map.clone(),
                _ => Map::new(),
            }),
    };
    replace(&state, &caller, grant, current, merged).await
}

/// Writes `input` over `current` with the version check, returning the new record.
async fn replace(
    state: &AppState,
    caller: &Caller,
    grant: Grant,
    current: customer::Model,
    input: CustomerInput,
) -> Result<HttpResponse, ApiError> {
    check_input(&input)?;
    grant.check_owner(caller, input.owner_id)?;
    let mut changes = full_record(input);
    changes.id = NotSet;
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    let txn = state.db.begin().await?;
    update_if_version::<customer::Entity, _>(
        &txn,
        changes,
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    let updated = find_live(&txn, current.id).await?;
    let diff = audit::diff(
        Some(&audit_view(&current)),
        Some(&audit_view(&updated)),
        PII,
    );
    let event = Event::new("customer.update", "customer", Some(current.id)).with_changes(diff);
    audit::record(&txn, &Actor::from(caller), event).await?;
    hooks::customer_updated(
        &txn,
        &current.lifecycle_stage,
        &CustomerOut::new(updated.clone(), Grant::Full),
    )
    .await?;
    txn.commit().await?;
    Ok(ok_with_etag(updated, grant))
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
    let external_id = external_id.into_inner();
    let mut input = body.into_inner();
    if input
        .external_id
        .as_deref()
        .is_some_and(|e| e != external_id)
    {
        return Err(ApiError::invalid(
            "external_id",
            "differs from the external id in the path",
        ));
    }
    input.external_id = Some(external_id.clone());
    check_input(&input)?;
    let existing = customer::Entity::find()
        .filter(Column::ExternalId.eq(external_id.as_str()))
        .one(&state.db)
        .await?;
    match existing {
        Some(current) if current.deleted_at.is_some() => Err(ApiError::Conflict {
            code: "deleted",
            detail: "the customer with this external id was deleted".to_owned(),
        }),
        Some(current) => {
            grant.check_owner(&caller, current.owner_id)?;
            if_match.check(current.version)?;
            replace(&state, &caller, grant, current, input).await
        }
        None => {
            grant.check_owner(&caller, input.owner_id)?;
            insert(
                &state,
                &caller,
                &IdempotencyKey::none(),
                input,
                "PUT /customers",
            )
            .await
        }
    }
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
    let customer = find_live(&state.db, *id).await?;
    let mut filters = filters.into_inner();
    filters.customer_id = Some(customer.id);
    let rows = interactions::list_rows(&state.db, &filters, &page).await?;
    // Notes are free text about the person: masked like the other personal data.
    Ok(HttpResponse::Ok().json(rows.map(|mut row| {
        if grant == Grant::Masked {
            row.note = None;
        }
        row
    })))
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
