//! The rules of starting a workflow instance and acting on an open one:
//! moving it along a transition its definition allows, reassigning,
//! cancelling and commenting. Each is version-checked and recorded on the timeline (and
//! in the outbox) by [`super::workflow_engine`]; the HTTP handlers and any
//! other caller go through here.

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::Context;
use crate::domain::validation::{Checks, LONG_TEXT};
use crate::domain::workflow::TimelineRecord;
use crate::domain::{DomainError, ErrorCode, InstanceStatus};
use crate::entities::workflow_instance;
use crate::services::workflow_engine::{self as engine, Change, NewEvent, Pinned, Started};

/// A live instance, or not found.
pub async fn find(
    db: &impl sea_orm::ConnectionTrait,
    id: Uuid,
) -> Result<workflow_instance::Model, DomainError> {
    use sea_orm::EntityTrait;
    workflow_instance::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("workflow instance"))
}

/// The instance and its definition version, after the checks every change
/// shares, in this order: a bad comment (422), a stale `expected_version`
/// (409 `version_conflict`, so that the loser of a race learns it lost
/// rather than what the winner did), the current step's department (403)
/// and the instance being open (409 `invalid_transition`).
async fn load(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: i32,
    comment: Option<&str>,
) -> Result<(workflow_instance::Model, Pinned), DomainError> {
    let mut checks = Checks::default();
    checks.opt_text("comment", comment, LONG_TEXT);
    checks.finish()?;
    let row = find(ctx.db, id).await?;
    engine::check_version(&row, expected_version)?;
    if let Some((caller, grant)) = ctx.caller {
        grant.check_department(caller, row.department.as_deref())?;
    }
    if row.status != InstanceStatus::Open.as_str() {
        return Err(DomainError::conflict(
            ErrorCode::InvalidTransition,
            format!("the instance is {}; it can no longer change", row.status),
        ));
    }
    let pinned = Pinned::of(ctx.db, row.definition_id).await?;
    Ok((row, pinned))
}

/// The user acting, for the timeline (none for the service itself).
fn actor_id(ctx: &Context<'_>) -> Option<Uuid> {
    ctx.caller.map(|(caller, _)| caller.user_id)
}

/// What starting a workflow on a customer asks for.
#[derive(Debug, Clone)]
pub struct Start {
    /// Key of the workflow; its latest version is used and kept.
    pub workflow_key: String,
    /// The customer it runs on.
    pub customer_id: Uuid,
    /// A user who may act on the initial step.
    pub assignee_id: Option<Uuid>,
    /// Recorded on the `started` event.
    pub note: Option<String>,
}

/// Starts a workflow inside `txn` (which may hold an idempotency claim):
/// the caller must belong to the initial step's department, the customer
/// must be live, and the same workflow must not be open for them (409
/// `workflow_already_open`).
pub async fn start(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    input: Start,
) -> Result<(workflow_instance::Model, Pinned), DomainError> {
    let mut checks = Checks::default();
    checks.opt_text("note", input.note.as_deref(), LONG_TEXT);
    checks.finish()?;
    let pinned = match engine::latest_definition(ctx.db, &input.workflow_key).await? {
        Some(row) => Pinned::new(row)?,
        None => return Err(DomainError::invalid("workflow_key", "no such workflow")),
    };
    let department = pinned.department(&pinned.definition.initial_step);
    if let Some((caller, grant)) = ctx.caller {
        grant.check_department(caller, department.as_deref())?;
    }
    super::customers::find_live(ctx.db, input.customer_id)
        .await
        .map_err(|_| DomainError::invalid("customer_id", "no such customer"))?;
    if let Some(assignee) = input.assignee_id {
        engine::check_assignee(ctx.db, "assignee_id", assignee, department.as_deref()).await?;
    }
    let started = engine::start(
        txn,
        &pinned,
        input.customer_id,
        input.assignee_id,
        input.note,
        actor_id(ctx),
    )
    .await?;
    match started {
        Started::New(row) => Ok((*row, pinned)),
        Started::AlreadyOpen(id) => Err(DomainError::conflict(
            ErrorCode::WorkflowAlreadyOpen,
            format!(
                "`{}` is already open for this customer: instance {id}",
                pinned.row.key
            ),
        )),
    }
}

/// What a transition asks for.
#[derive(Debug, Clone)]
pub struct Transition {
    /// Key of the step to move to.
    pub to: String,
    /// Comment on the timeline.
    pub comment: Option<String>,
    /// The instance version the caller saw.
    pub expected_version: i32,
    /// Assignee on the new step; by default the current assignee stays if
    /// they may act on it.
    pub assignee_id: Option<Uuid>,
}

/// Moves the instance along a transition its definition has (409
/// `invalid_transition` otherwise).
pub async fn transition(
    ctx: &Context<'_>,
    id: Uuid,
    input: Transition,
) -> Result<(workflow_instance::Model, Pinned), DomainError> {
    let (row, pinned) = load(ctx, id, input.expected_version, input.comment.as_deref()).await?;
    if pinned
        .definition
        .transition(&row.current_step, &input.to)
        .is_none()
    {
        return Err(DomainError::conflict(
            ErrorCode::InvalidTransition,
            format!(
                "workflow `{}` v{} has no transition from `{}` to `{}`",
                pinned.row.key, pinned.row.version, row.current_step, input.to
            ),
        ));
    }
    let department = pinned.department(&input.to);
    let assignee = match input.assignee_id {
        Some(id) => {
            engine::check_assignee(ctx.db, "assignee_id", id, department.as_deref()).await?;
            Some(id)
        }
        None => match row.assignee_id {
            Some(id)
                if engine::check_assignee(ctx.db, "", id, department.as_deref())
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
        status: terminal.then_some(InstanceStatus::Completed),
    };
    let event = NewEvent {
        kind: "transitioned",
        actor_id: actor_id(ctx),
        from_step: Some(row.current_step.clone()),
        to_step: Some(input.to),
        assignee_id: assignee,
        comment: input.comment,
    };
    let updated =
        engine::apply(ctx.db, &row, &pinned, input.expected_version, change, event).await?;
    Ok((updated, pinned))
}

/// Gives the current step to `assignee` (a user who may act on it) or to nobody.
pub async fn assign(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: i32,
    assignee: Option<Uuid>,
    comment: Option<String>,
) -> Result<(workflow_instance::Model, Pinned), DomainError> {
    let (row, pinned) = load(ctx, id, expected_version, comment.as_deref()).await?;
    if let Some(assignee) = assignee {
        engine::check_assignee(ctx.db, "assignee_id", assignee, row.department.as_deref()).await?;
    }
    let change = Change {
        to_step: None,
        assignee_id: Some(assignee),
        status: None,
    };
    let event = NewEvent {
        kind: "assigned",
        actor_id: actor_id(ctx),
        assignee_id: assignee,
        comment,
        ..NewEvent::default()
    };
    let updated = engine::apply(ctx.db, &row, &pinned, expected_version, change, event).await?;
    Ok((updated, pinned))
}

/// Cancels the open instance.
pub async fn cancel(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: i32,
    comment: Option<String>,
) -> Result<(workflow_instance::Model, Pinned), DomainError> {
    let (row, pinned) = load(ctx, id, expected_version, comment.as_deref()).await?;
    let change = Change {
        to_step: None,
        assignee_id: None,
        status: Some(InstanceStatus::Cancelled),
    };
    let event = NewEvent {
        kind: "cancelled",
        actor_id: actor_id(ctx),
        from_step: Some(row.current_step.clone()),
        comment,
        ..NewEvent::default()
    };
    let updated = engine::apply(ctx.db, &row, &pinned, expected_version, change, event).await?;
    Ok((updated, pinned))
}

/// Comments on the instance, on any step and after it closed; the version
/// is unchanged.
pub async fn comment(
    ctx: &Context<'_>,
    id: Uuid,
    comment: String,
) -> Result<TimelineRecord, DomainError> {
    let mut checks = Checks::default();
    checks.text("comment", &comment, LONG_TEXT);
    checks.finish()?;
    let row = find(ctx.db, id).await?;
    let pinned = Pinned::of(ctx.db, row.definition_id).await?;
    let event = NewEvent {
        kind: "commented",
        actor_id: actor_id(ctx),
        comment: Some(comment),
        ..NewEvent::default()
    };
    engine::comment(ctx.db, &row, &pinned, event).await
}
