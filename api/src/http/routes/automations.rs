//! `/automations` (admin, manager): rules that start a workflow when an
//! interaction, a lifecycle change or a score happens, and their runs.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::domain::automation::{AutomationChanges, AutomationFields, AutomationRecord, Trigger};
use crate::entities::{automation, automation_run};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::services::{Context, automation_rules};
use crate::state::AppState;

/// What an automation does when it fires.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Then {
    /// Workflow started on the customer (its latest version at firing time),
    /// unless one of the same workflow is already open for them.
    pub workflow_key: String,
    /// Assigned when they may act on the initial step.
    pub assignee_id: Option<Uuid>,
}

/// An automation to create.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationInput {
    pub name: String,
    #[schema(value_type = crate::http::schemas::TriggerDoc)]
    pub when: Trigger,
    pub then: Then,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// Fields to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationPatch {
    pub name: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::TriggerDoc>)]
    pub when: Option<Trigger>,
    pub then: Option<Then>,
    pub active: Option<bool>,
}

/// An automation as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct AutomationOut {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = crate::http::schemas::TriggerDoc)]
    pub when: Trigger,
    pub then: Then,
    pub active: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AutomationRecord> for AutomationOut {
    fn from(record: AutomationRecord) -> Self {
        Self {
            id: record.id,
            name: record.name,
            when: record.when,
            then: Then {
                workflow_key: record.workflow_key,
                assignee_id: record.assignee_id,
            },
            active: record.active,
            version: record.version,
            created_by: record.created_by,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// One firing of an automation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOut {
    pub id: Uuid,
    pub automation_id: Uuid,
    pub customer_id: Uuid,
    /// `started`, or `skipped` (already open, workflow missing).
    pub outcome: String,
    pub instance_id: Option<Uuid>,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<automation_run::Model> for RunOut {
    fn from(row: automation_run::Model) -> Self {
        Self {
            id: row.id,
            automation_id: row.automation_id,
            customer_id: row.customer_id,
            outcome: row.outcome,
            instance_id: row.instance_id,
            detail: row.detail,
            created_at: row.created_at,
        }
    }
}

fn ok_with_etag(record: AutomationRecord) -> HttpResponse {
    let version = record.version;
    with_etag(HttpResponse::Ok(), version).json(AutomationOut::from(record))
}

fn context<'a>(state: &'a AppState, caller: &'a Caller) -> Result<Context<'a>, ApiError> {
    let grant = policy::require(caller, Action::DefineWorkflows)?;
    Ok(Context::for_caller(&state.db, caller, grant, &state.models))
}

/// Create an automation. Honours `Idempotency-Key`.
#[utoipa::path(tag = "automations", request_body = AutomationInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = AutomationOut, headers(("Location" = String))), (status = 422, body = crate::http::error::Problem)))]
#[post("/automations")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<AutomationInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let input = body.into_inner();
    let fields = AutomationFields {
        name: input.name.clone(),
        when: input.when.clone(),
        workflow_key: input.then.workflow_key.clone(),
        assignee_id: input.then.assignee_id,
        active: input.active,
    };
    // Checked before the key is claimed, so a refused body claims nothing.
    fields.check()?;
    let creation =
        match idempotency::begin(&state, &key, &caller, "POST /automations", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let created = automation_rules::create(&ctx, &creation.txn, fields).await?;
    let location = format!("{BASE}/automations/{}", created.id);
    creation
        .finish(
            StatusCode::CREATED,
            Some(location),
            &AutomationOut::from(created),
        )
        .await
}

/// List automations (sort by created_at or name).
#[utoipa::path(tag = "automations", params(PageParams), responses((status = 200, body = Page<AutomationOut>)))]
#[get("/automations")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    use automation::Column;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", Column::CreatedAt), ("name", Column::Name)],
        "created_at",
    )?;
    let rows = fetch_page(
        &state.db,
        automation::Entity::find(),
        sort,
        Column::Id,
        &page,
    )
    .await?;
    let rows = rows.try_map(|row| automation_rules::record(row).map(AutomationOut::from))?;
    Ok(HttpResponse::Ok().json(rows))
}

/// One automation; the `ETag` is its version.
#[utoipa::path(tag = "automations", params(("id" = Uuid, Path)),
    responses((status = 200, body = AutomationOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/automations/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    let row = automation_rules::find(&state.db, *id).await?;
    Ok(ok_with_etag(automation_rules::record(row)?))
}

/// Change an automation (`If-Match` optional).
#[utoipa::path(tag = "automations", request_body = AutomationPatch, params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = AutomationOut), (status = 412, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[patch("/automations/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: web::Json<AutomationPatch>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller)?;
    let patch = body.into_inner();
    let changes = AutomationChanges {
        name: patch.name,
        when: patch.when,
        then: patch.then.map(|t| (t.workflow_key, t.assignee_id)),
        active: patch.active,
    };
    let updated = automation_rules::update(&ctx, *id, &if_match, changes).await?;
    Ok(ok_with_etag(updated))
}

/// Delete an automation and its runs.
#[utoipa::path(tag = "automations", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem),
        (status = 412, body = crate::http::error::Problem)))]
#[delete("/automations/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    automation_rules::delete(&context(&state, &caller)?, *id, &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every firing of the automation, newest first.
#[utoipa::path(tag = "automations", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<RunOut>), (status = 404, body = crate::http::error::Problem)))]
#[get("/automations/{id}/runs")]
async fn runs(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    use automation_run::Column;
    let rule = automation_rules::find(&state.db, *id).await?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", Column::CreatedAt)],
        "-created_at",
    )?;
    let select = automation_run::Entity::find().filter(Column::AutomationId.eq(rule.id));
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    Ok(HttpResponse::Ok().json(rows.map(RunOut::from)))
}

/// Mounts the automation routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(runs);
}
