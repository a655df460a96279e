//! `/workflows`: versioned workflow definitions. Editing a definition stores
//! a new version; running instances keep the version they started with.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use crate::auth::Caller;
use crate::domain::workflow::{Definition, DefinitionInput};
use crate::entities::workflow_definition::{self, Column};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::http::workflow_views::{StepSpec, TransitionSpec, WorkflowInput};
use crate::policy::{self, Action};
use crate::services::workflow_engine::Pinned;
use crate::services::{Context, workflow_definitions};
use crate::state::AppState;

/// One version of a workflow definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowOut {
    pub id: Uuid,
    pub key: String,
    /// 1 for the first definition, incremented by every edit; sent as the `ETag`.
    pub version: i32,
    /// Whether this is the newest version.
    pub latest: bool,
    pub name: String,
    pub description: Option<String>,
    pub steps: Vec<StepSpec>,
    pub transitions: Vec<TransitionSpec>,
    pub initial_step: String,
    pub terminal_steps: Vec<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<Pinned> for WorkflowOut {
    fn from(p: Pinned) -> Self {
        Self {
            id: p.row.id,
            key: p.row.key,
            version: p.row.version,
            latest: p.row.latest,
            name: p.definition.name,
            description: p.definition.description,
            steps: p.definition.steps.into_iter().map(StepSpec::from).collect(),
            transitions: (p.definition.transitions.into_iter())
                .map(TransitionSpec::from)
                .collect(),
            initial_step: p.definition.initial_step,
            terminal_steps: p.definition.terminal_steps,
            created_by: p.row.created_by,
            created_at: p.row.created_at,
        }
    }
}

fn respond(pinned: Pinned) -> HttpResponse {
    let version = pinned.row.version;
    with_etag(HttpResponse::Ok(), version).json(WorkflowOut::from(pinned))
}

fn context<'a>(
    state: &'a AppState,
    caller: &'a Caller,
    action: Action,
) -> Result<Context<'a>, ApiError> {
    let grant = policy::require(caller, action)?;
    Ok(Context::for_caller(&state.db, caller, grant, &state.models))
}

const SORTABLE: &[(&str, Column)] = &[
    ("key", Column::Key),
    ("name", Column::Name),
    ("created_at", Column::CreatedAt),
];

/// List the latest version of every workflow (sort by key, name or created_at).
#[utoipa::path(tag = "workflows", params(PageParams),
    responses((status = 200, body = Page<WorkflowOut>)))]
#[get("/workflows")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadWorkflows)?;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "key")?;
    let select = workflow_definition::Entity::find().filter(Column::Latest.eq(true));
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    let mut data = Vec::with_capacity(rows.data.len());
    for row in rows.data {
        data.push(WorkflowOut::from(Pinned::new(row)?));
    }
    Ok(HttpResponse::Ok().json(Page {
        data,
        next_cursor: rows.next_cursor,
    }))
}

/// Define a workflow (version 1). Unknown steps, unreachable terminals and
/// duplicate keys give 422 with field errors; an existing key gives 409.
#[utoipa::path(tag = "workflows", request_body = WorkflowInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = WorkflowOut, headers(("Location" = String))),
        (status = 409, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[post("/workflows")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<WorkflowInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller, Action::DefineWorkflows)?;
    let input = body.into_inner();
    let workflow_key = input
        .key
        .clone()
        .ok_or_else(|| ApiError::invalid("key", "is required"))?;
    let definition = Definition::try_from(DefinitionInput::from(input.clone()))?;
    let creation =
        match idempotency::begin(&state, &key, &caller, "POST /workflows", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let created =
        workflow_definitions::create(&ctx, &creation.txn, &workflow_key, &definition).await?;
    let location = format!("{BASE}/workflows/{workflow_key}");
    creation
        .finish(
            StatusCode::CREATED,
            Some(location),
            &WorkflowOut::from(created),
        )
        .await
}

/// The latest version of a workflow; the `ETag` is its version.
#[utoipa::path(tag = "workflows", params(("key" = String, Path)),
    responses((status = 200, body = WorkflowOut, headers(("ETag" = String))), (status = 404, body = crate::http::error::Problem)))]
#[get("/workflows/{key}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller, Action::ReadWorkflows)?;
    Ok(respond(workflow_definitions::latest(&ctx, &key).await?))
}

/// One version of a workflow.
#[utoipa::path(tag = "workflows", params(("key" = String, Path), ("version" = i32, Path)),
    responses((status = 200, body = WorkflowOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/workflows/{key}/versions/{version}")]
async fn get_version(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, i32)>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadWorkflows)?;
    let (key, version) = path.into_inner();
    let row = workflow_definition::Entity::find()
        .filter(Column::Key.eq(key))
        .filter(Column::Version.eq(version))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow version"))?;
    Ok(respond(Pinned::new(row)?))
}

/// Edit a workflow: stores the body as a new version (`If-Match` optional).
/// Running instances keep their version; new ones start on this one.
#[utoipa::path(tag = "workflows", request_body = WorkflowInput,
    params(("key" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = WorkflowOut), (status = 404, body = crate::http::error::Problem),
        (status = 412, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[put("/workflows/{key}")]
async fn new_version(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
    if_match: IfMatch,
    body: web::Json<WorkflowInput>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&state, &caller, Action::DefineWorkflows)?;
    let input = body.into_inner();
    if input.key.as_deref().is_some_and(|k| k != key.as_str()) {
        return Err(ApiError::invalid("key", "differs from the key in the path"));
    }
    let definition = Definition::try_from(DefinitionInput::from(input))?;
    let updated = workflow_definitions::new_version(&ctx, &key, &if_match, &definition).await?;
    Ok(respond(updated))
}

/// Mounts the workflow definition routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(get_version)
        .service(new_version);
}
