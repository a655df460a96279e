//! `/automations` (admin, manager): rules that start a workflow when an
//! interaction, a lifecycle change or a score happens, and their runs.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::domain::DomainError;
use crate::domain::automation::Trigger;
use crate::domain::validation::{Checks, SHORT_TEXT};
use crate::entities::{automation, automation_run};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::services::events;
use crate::services::records::update_if_version;
use crate::state::AppState;
use crate::workflows::engine::{self, Pinned};

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

impl TryFrom<automation::Model> for AutomationOut {
    type Error = ApiError;

    fn try_from(row: automation::Model) -> Result<Self, ApiError> {
        Ok(Self {
            when: serde_json::from_value(row.trigger)
                .map_err(|e| anyhow::anyhow!("automation {} trigger: {e}", row.id))?,
            then: Then {
                workflow_key: row.workflow_key,
                assignee_id: row.assignee_id,
            },
            id: row.id,
            name: row.name,
            active: row.active,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
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

/// Validates the parts and returns the columns they set.
async fn check(
    db: &impl ConnectionTrait,
    name: &str,
    when: &Trigger,
    then: &Then,
) -> Result<automation::ActiveModel, ApiError> {
    let mut checks = Checks::default();
    checks.text("name", name, SHORT_TEXT);
    for (field, message) in when.problems() {
        checks.fail(field, message);
    }
    checks.finish()?;
    let pinned = match engine::latest_definition(db, &then.workflow_key).await? {
        Some(row) => Pinned::new(row)?,
        None => return Err(ApiError::invalid("then.workflow_key", "no such workflow")),
    };
    if let Some(assignee) = then.assignee_id {
        let initial = pinned.definition.step(&pinned.definition.initial_step);
        let department = initial.and_then(|s| s.department.as_deref());
        engine::check_assignee(db, "then.assignee_id", assignee, department).await?;
    }
    let trigger = serde_json::to_value(when)
        .map_err(|e| ApiError::Domain(DomainError::Internal(e.into())))?;
    Ok(automation::ActiveModel {
        name: Set(name.to_owned()),
        trigger_type: Set(when.kind().to_owned()),
        trigger: Set(trigger),
        workflow_key: Set(then.workflow_key.clone()),
        assignee_id: Set(then.assignee_id),
        ..Default::default()
    })
}

/// No snapshot, for creations and deletions.
const NONE: Option<&AutomationOut> = None;

async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<automation::Model, ApiError> {
    automation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("automation"))
}

fn ok_with_etag(row: automation::Model) -> Result<HttpResponse, ApiError> {
    let version = row.version;
    Ok(with_etag(HttpResponse::Ok(), version).json(AutomationOut::try_from(row)?))
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
    policy::require(&caller, Action::DefineWorkflows)?;
    let input = body.into_inner();
    let mut record = check(&state.db, &input.name, &input.when, &input.then).await?;
    let creation =
        match idempotency::begin(&state.db, &key, &caller, "POST /automations", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let now = Utc::now();
    record.id = Set(Uuid::now_v7());
    record.active = Set(input.active.unwrap_or(true));
    record.version = Set(1);
    record.created_by = Set(Some(caller.user_id));
    record.created_at = Set(now);
    record.updated_at = Set(now);
    let row = automation::Entity::insert(record)
        .exec_with_returning(&creation.txn)
        .await?;
    let location = format!("{BASE}/automations/{}", row.id);
    let (id, after) = (row.id, AutomationOut::try_from(row)?);
    events::audit_config(
        &creation.txn,
        &caller,
        "automation.create",
        "automation",
        id,
        NONE,
        Some(&after),
    )
    .await?;
    creation
        .finish(StatusCode::CREATED, Some(location), &after)
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
    let data = rows
        .data
        .into_iter()
        .map(AutomationOut::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page {
        data,
        next_cursor: rows.next_cursor,
    }))
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
    ok_with_etag(find(&state.db, *id).await?)
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
    policy::require(&caller, Action::DefineWorkflows)?;
    let current = find(&state.db, *id).await?;
    if_match.check(current.version)?;
    let patch = body.into_inner();
    let old = AutomationOut::try_from(current.clone())?;
    let old_view = AutomationOut::try_from(current.clone())?;
    let name = patch.name.unwrap_or(old.name);
    let when = patch.when.unwrap_or(old.when);
    let then = patch.then.unwrap_or(old.then);
    let mut changes = check(&state.db, &name, &when, &then).await?;
    changes.active = Set(patch.active.unwrap_or(current.active));
    changes.version = Set(current.version + 1);
    changes.updated_at = Set(Utc::now());
    use automation::Column;
    let txn = state.db.begin().await?;
    update_if_version::<automation::Entity, _>(
        &txn,
        changes,
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    let updated = find(&txn, current.id).await?;
    let after = AutomationOut::try_from(updated.clone())?;
    events::audit_config(
        &txn,
        &caller,
        "automation.update",
        "automation",
        updated.id,
        Some(&old_view),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    ok_with_etag(updated)
}

/// Delete an automation and its runs.
#[utoipa::path(tag = "automations", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = crate::http::error::Problem)))]
#[delete("/automations/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::DefineWorkflows)?;
    let current = find(&state.db, *id).await?;
    let txn = state.db.begin().await?;
    automation::Entity::delete_by_id(current.id)
        .exec(&txn)
        .await?;
    let (id, before) = (current.id, AutomationOut::try_from(current)?);
    events::audit_config(
        &txn,
        &caller,
        "automation.delete",
        "automation",
        id,
        Some(&before),
        NONE,
    )
    .await?;
    txn.commit().await?;
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
    let rule = find(&state.db, *id).await?;
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
