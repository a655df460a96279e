//! Actions on a workflow instance: transitions, reassignment, comments and
//! cancellation. Each is version-checked and recorded on the timeline.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::workflow_instances::respond;
use crate::auth::Caller;
use crate::http::error::ApiError;
use crate::http::workflow_views::{EventOut, InstanceOut};
use crate::policy::{self, Action};
use crate::services::Context;
use crate::services::workflow_actions::{self, Transition};
use crate::state::AppState;

/// Move an instance to another step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "work", "comment": "Qualified: over to sales", "expected_version": 1}))]
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

/// The caller's context, once they may act on workflow steps.
fn context<'a>(state: &'a AppState, caller: &'a Caller) -> Result<Context<'a>, ApiError> {
    let grant = policy::require(caller, Action::ActOnWorkflowStep)?;
    Ok(Context::for_caller(&state.db, caller, grant, &state.models))
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
    let transition = Transition {
        to: input.to,
        comment: input.comment,
        expected_version: input.expected_version,
        assignee_id: input.assignee_id,
    };
    let (updated, pinned) =
        workflow_actions::transition(&context(&state, &caller)?, *id, transition).await?;
    respond(StatusCode::OK, updated, &pinned)
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
    let ctx = context(&state, &caller)?;
    let (updated, pinned) = workflow_actions::assign(
        &ctx,
        *id,
        input.expected_version,
        input.assignee_id,
        input.comment,
    )
    .await?;
    respond(StatusCode::OK, updated, &pinned)
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
    let ctx = context(&state, &caller)?;
    let (updated, pinned) =
        workflow_actions::cancel(&ctx, *id, input.expected_version, input.comment).await?;
    respond(StatusCode::OK, updated, &pinned)
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
    let ctx = context(&state, &caller)?;
    let entry = workflow_actions::comment(&ctx, *id, body.into_inner().comment).await?;
    Ok(HttpResponse::Created().json(EventOut::from(entry)))
}

/// Mounts the instance action routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(transition)
        .service(assign)
        .service(cancel)
        .service(add_comment);
}
