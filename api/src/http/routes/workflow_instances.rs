//! `/workflow-instances`: workflows running on customers, their list
//! filters and their timelines. Actions on an instance are in
//! [`super::workflow_actions`].

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{BASE, filters};
use crate::auth::Caller;
use crate::domain::DomainError;
use crate::domain::InstanceStatus;
use crate::entities::{workflow_event, workflow_instance};
use crate::http::error::ApiError;
use crate::http::etag::with_etag;
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::http::workflow_views::{EventOut, InstanceOut};
use crate::policy::{self, Action, Grant};
use crate::services::Context;
use crate::services::workflow_actions::{self, Start};
use crate::services::workflow_engine::{self, Pinned};
use crate::state::AppState;

use workflow_instance::Column;

/// Start a workflow on a customer.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInstance {
    /// Key of the workflow; its latest version is used and kept.
    pub workflow_key: String,
    pub customer_id: Uuid,
    /// A user who may act on the initial step.
    pub assignee_id: Option<Uuid>,
    /// Recorded on the `started` event.
    pub note: Option<String>,
}

/// Filters of `GET /workflow-instances`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceFilters {
    /// A department, or `mine` for the caller's department.
    pub department: Option<String>,
    pub status: Option<InstanceStatus>,
    pub customer_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub workflow_key: Option<String>,
    /// `true`: open and past `due_at`; `false`: everything else.
    pub overdue: Option<bool>,
}

/// 200 with the instance and its version as `ETag`.
pub fn respond(
    status: StatusCode,
    row: workflow_instance::Model,
    pinned: &Pinned,
) -> Result<HttpResponse, ApiError> {
    let version = row.version;
    let out = InstanceOut::from(pinned.instance(row)?);
    Ok(with_etag(HttpResponse::build(status), version).json(out))
}

fn location(id: Uuid) -> String {
    format!("{BASE}/workflow-instances/{id}")
}

/// Start a workflow on a customer (admin, manager, or a member of the initial
/// step's department). Honours `Idempotency-Key`; 409 `workflow_already_open`
/// when the same workflow is open for the customer.
#[utoipa::path(tag = "workflows", request_body = StartInstance,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = InstanceOut, headers(("Location" = String))),
        (status = 409, body = crate::http::error::Problem), (status = 422, body = crate::http::error::Problem)))]
#[post("/workflow-instances")]
async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<StartInstance>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ActOnWorkflowStep)?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    let input = body.into_inner();
    let creation = match idempotency::begin(
        &state,
        &key,
        &caller,
        "POST /workflow-instances",
        &input,
    )
    .await?
    {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let request = Start {
        workflow_key: input.workflow_key,
        customer_id: input.customer_id,
        assignee_id: input.assignee_id,
        note: input.note,
    };
    let (row, pinned) = workflow_actions::start(&ctx, &creation.txn, request).await?;
    creation
        .finish(
            StatusCode::CREATED,
            Some(location(row.id)),
            &InstanceOut::from(pinned.instance(row)?),
        )
        .await
}

const SORTABLE: &[(&str, Column)] = &[
    ("created_at", Column::CreatedAt),
    ("updated_at", Column::UpdatedAt),
];

/// Each row with the definition version it runs on (one query per page).
async fn with_definitions(
    db: &impl ConnectionTrait,
    rows: Page<workflow_instance::Model>,
) -> Result<Page<InstanceOut>, ApiError> {
    let ids: Vec<Uuid> = rows.data.iter().map(|r| r.definition_id).collect();
    let pinned = crate::entities::workflow_definition::Entity::find()
        .filter(crate::entities::workflow_definition::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| Ok((row.id, Pinned::new(row)?)))
        .collect::<Result<HashMap<Uuid, Pinned>, DomainError>>()?;
    let mut data = Vec::with_capacity(rows.data.len());
    for row in rows.data {
        let p = pinned
            .get(&row.definition_id)
            .ok_or_else(|| anyhow::anyhow!("definition {} missing", row.definition_id))?;
        data.push(InstanceOut::from(p.instance(row)?));
    }
    Ok(Page {
        data,
        next_cursor: rows.next_cursor,
    })
}

/// List instances, filtered (sort by created_at or updated_at).
#[utoipa::path(tag = "workflows", params(InstanceFilters, PageParams),
    responses((status = 200, body = Page<InstanceOut>)))]
#[get("/workflow-instances")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<InstanceFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadWorkflows)?;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "-created_at")?;
    let mut select =
        workflow_instance::Entity::find().filter(filters::of_visible_customer(Column::CustomerId));
    match filters.department.as_deref() {
        Some("mine") => {
            let mine = caller.department.clone().ok_or_else(|| {
                ApiError::invalid("department", "`mine` needs a caller with a department")
            })?;
            select = select.filter(Column::Department.eq(mine));
        }
        Some(department) => select = select.filter(Column::Department.eq(department)),
        None => {}
    }
    if let Some(status) = filters.status {
        select = select.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(id) = filters.customer_id {
        select = select.filter(Column::CustomerId.eq(id));
    }
    if let Some(id) = filters.assignee_id {
        select = select.filter(Column::AssigneeId.eq(id));
    }
    if let Some(key) = &filters.workflow_key {
        select = select.filter(Column::WorkflowKey.eq(key.as_str()));
    }
    if let Some(overdue) = filters.overdue {
        let is_overdue = Condition::all()
            .add(Column::Status.eq(InstanceStatus::Open.as_str()))
            .add(Column::DueAt.lt(Utc::now()));
        select = select.filter(if overdue {
            is_overdue
        } else {
            is_overdue.not()
        });
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    Ok(HttpResponse::Ok().json(with_definitions(&state.db, rows).await?))
}

/// An instance on a customer that is not soft-deleted, or 404.
async fn visible_instance(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<workflow_instance::Model, ApiError> {
    workflow_instance::Entity::find_by_id(id)
        .filter(filters::of_visible_customer(Column::CustomerId))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow instance"))
}

/// One instance; the `ETag` is its version.
#[utoipa::path(tag = "workflows", params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceOut, headers(("ETag" = String))), (status = 404, body = crate::http::error::Problem)))]
#[get("/workflow-instances/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadWorkflows)?;
    let row = visible_instance(&state.db, *id).await?;
    let pinned = Pinned::of(&state.db, row.definition_id).await?;
    respond(StatusCode::OK, row, &pinned)
}

/// The instance's timeline, oldest first: who did what, when, from/to, comment.
#[utoipa::path(tag = "workflows", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<EventOut>), (status = 404, body = crate::http::error::Problem)))]
#[get("/workflow-instances/{id}/events")]
async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    use workflow_event::Column as E;
    policy::require(&caller, Action::ReadWorkflows)?;
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    let instance = visible_instance(&state.db, *id).await?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("created_at", E::CreatedAt)],
        "created_at",
    )?;
    let select = workflow_event::Entity::find().filter(E::InstanceId.eq(instance.id));
    let rows = fetch_page(&state.db, select, sort, E::Id, &page).await?;
    Ok(HttpResponse::Ok().json(rows.map(|row| {
        let entry = workflow_engine::timeline(row);
        EventOut::from(if grant == Grant::Masked {
            entry.masked()
        } else {
            entry
        })
    })))
}

/// Mounts the instance routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(start)
        .service(list)
        .service(get_one)
        .service(events);
}
