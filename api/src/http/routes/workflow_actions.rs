//! Actions on a workflow instance: transitions, reassignment, comments and
//! cancellation. Each is version-checked and recorded on the timeline.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::workflow_instances::{find, respond};
use crate::auth::Caller;
use crate::domain::validation::{Checks, LONG_TEXT};
use crate::domain::{DomainError, ErrorCode};
use crate::entities::workflow_instance;
use crate::http::error::ApiError;
use crate::policy::{self, Action};
use crate::state::AppState;
use crate::workflows::engine::{self, Change, EventOut, InstanceOut, NewEvent, Pinned};

/// Move an instance to another step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// Key of the step to move to; the definition must allow it.
    pub to: String,
    pub comment: Option<String>,
    /// The instance `version` the caller saw.
    pub expected_version: i32,
    /// Assignee on the new step; by default the current assignee stays if
    /// they may act on the new step.
    pub assignee_id: Option<Uuid>,
}

/// Give the current step to someone else.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// A user who may act on the current step, or null to unassign.
    pub assignee_id: Option<Uuid>,
    pub comment: Option<String>,
    pub expected_version: i32,
}

/// Cancel an open instance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    pub comment: Option<String>,
    pub expected_version: i32,
}

/// A comment on the timeline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// 1 to 10,000 characters.
    pub comment: String,
}

/// The instance and its definition version, after the checks every change
/// shares, in this order: the role (403), a stale `expected_version` (409
/// `version_conflict`, so that the loser of a race learns it lost rather
/// than what the winner did), the current step's department (403) and the
/// instance being open (409 `invalid_transition`).
async fn load(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    expected_version: i32,
    comment: Option<&str>,
) -> Result<(workflow_instance::Model, Pinned), ApiError> {
    let grant = policy::require(caller, Action::ActOnWorkflowStep)?;
    let mut checks = Checks::default();
    checks.opt_text("comment", comment, LONG_TEXT);
    checks.finish()?;
    let row = find(&state.db, id).await?;
    engine::check_version(&row, expected_version)?;
    grant.check_department(caller, row.department.as_deref())?;
    if row.status != engine::OPEN {
        return Err(ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::InvalidTransition,
            detail: format!("the instance is {}; it can no longer change", row.status),
        }));
    }
    let pinned = Pinned::of(&state.db, row.definition_id).await?;
    Ok((row, pinned))
}

/// Move the instance along an allowed transition (admin, manager, or a
/// member of the current step's department). 409 `invalid_transition` when
/// the definition lacks it, 409 `version_conflict` on a stale `expected_version`.
#[utoipa::path(tag = "workflows", request_body = TransitionRequest, params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceOut), (status = 409, body = crate::http::error::Problem),
        (status = 422, body = crate::http::error::Problem)))]
#[post("/workflow-instances/{id}/transitions")]
async fn transition(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<TransitionRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let (row, pinned) = load(
        &state,
        &caller,
        *id,
        input.expected_version,
        input.comment.as_deref(),
    )
    .await?;
    if pinned
        .definition
        .transition(&row.current_step, &input.to)
        .is_none()
    {
        return Err(ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::InvalidTransition,
            detail: format!(
                "workflow `{}` v{} has no transition from `{}` to `{}`",
                pinned.row.key, pinned.row.version, row.current_step, input.to
            ),
        }));
    }
    let department = pinned
        .definition
        .step(&input.to)
        .and_then(|s| s.department.clone());
    let assignee = match input.assignee_id {
        Some(id) => {
            engine::check_assignee(&state.db, "assignee_id", id, department.as_deref()).await?;
            Some(id)
        }
        None => match row.assignee_id {
            Some(id)
                if engine::check_assignee(&state.db, "", id, department.as_deref())
                    .await
                    .is_ok() =>
            {
                Some(id)
            }
            _ => None,
        },
    };
    let terminal = pinned.definition.is_terminal(&input.to);
    let change = Change {
        to_step: Some(input.to.clone()),
        assignee_id: Some(assignee),
        status: terminal.then_some(engine::COMPLETED),
    };
    let event = NewEvent {
        kind: "transitioned",
        actor_id: Some(caller.user_id),
        from_step: Some(row.current_step.clone()),
        to_step: Some(input.to),
        assignee_id: assignee,
        comment: input.comment,
    };
    let updated = engine::apply(
        &state.db,
        &row,
        &pinned,
        input.expected_version,
        change,
        event,
    )
    .await?;
    Ok(respond(StatusCode::OK, updated, &pinned))
}

/// Reassign the current step (same rules as transitions).
#[utoipa::path(tag = "workflows", request_body = AssignRequest, params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceOut), (status = 409, body = crate::http::error::Problem),
        (status = 422, body = crate::http::error::Problem)))]
#[post("/workflow-instances/{id}/assignment")]
async fn assign(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<AssignRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let (row, pinned) = load(
        &state,
        &caller,
        *id,
        input.expected_version,
        input.comment.as_deref(),
    )
    .await?;
    if let Some(assignee) = input.assignee_id {
        engine::check_assignee(
            &state.db,
            "assignee_id",
            assignee,
            row.department.as_deref(),
        )
        .await?;
    }
    let change = Change {
        to_step: None,
        assignee_id: Some(input.assignee_id),
        status: None,
    };
    let event = NewEvent {
        kind: "assigned",
        actor_id: Some(caller.user_id),
        assignee_id: input.assignee_id,
        comment: input.comment,
        ..NewEvent::default()
    };
    let updated = engine::apply(
        &state.db,
        &row,
        &pinned,
        input.expected_version,
        change,
        event,
    )
    .await?;
    Ok(respond(StatusCode::OK, updated, &pinned))
}

/// Cancel the instance (same rules as transitions).
#[utoipa::path(tag = "workflows", request_body = CancelRequest, params(("id" = Uuid, Path)),
    responses((status = 200, body = InstanceOut), (status = 409, body = crate::http::error::Problem)))]
#[post("/workflow-instances/{id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let (row, pinned) = load(
        &state,
        &caller,
        *id,
        input.expected_version,
        input.comment.as_deref(),
    )
    .await?;
    let change = Change {
        to_step: None,
        assignee_id: None,
        status: Some(engine::CANCELLED),
    };
    let event = NewEvent {
        kind: "cancelled",
        actor_id: Some(caller.user_id),
        from_step: Some(row.current_step.clone()),
        comment: input.comment,
        ..NewEvent::default()
    };
    let updated = engine::apply(
        &state.db,
        &row,
        &pinned,
        input.expected_version,
        change,
        event,
    )
    .await?;
    Ok(respond(StatusCode::OK, updated, &pinned))
}

/// Comment on the instance: any role that acts on workflow steps may
/// comment, on any step and after the instance closed; the version is unchanged.
#[utoipa::path(tag = "workflows", request_body = CommentRequest, params(("id" = Uuid, Path)),
    responses((status = 201, body = EventOut), (status = 422, body = crate::http::error::Problem)))]
#[post("/workflow-instances/{id}/comments")]
async fn add_comment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ActOnWorkflowStep)?;
    let input = body.into_inner();
    let mut checks = Checks::default();
    checks.text("comment", &input.comment, LONG_TEXT);
    checks.finish()?;
    let row = find(&state.db, *id).await?;
    let pinned = Pinned::of(&state.db, row.definition_id).await?;
    let event = NewEvent {
        kind: "commented",
        actor_id: Some(caller.user_id),
        comment: Some(input.comment),
        ..NewEvent::default()
    };
    let out = engine::comment(&state.db, &row, &pinned, event).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Mounts the instance action routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(transition)
        .service(assign)
        .service(cancel)
        .service(add_comment);
}
