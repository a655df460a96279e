//! The workflow engine: storing definition versions, starting instances and
//! applying version-checked changes, each with its timeline event and outbox
//! event in the same transaction. Shared by the workflow services, the
//! automations and the SLA checker.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, SqlErr, TransactionTrait,
};
use uuid::Uuid;

use crate::domain::event::EventPayload;
use crate::domain::workflow::{Definition, InstanceRecord, TimelineRecord, WorkflowChange};
use crate::domain::{DomainError, ErrorCode, EventType, InstanceStatus};
use crate::entities::{user, workflow_definition, workflow_event, workflow_instance};
use crate::policy::{self, Role};
use crate::services::outbox;

/// The record of one timeline row.
pub fn timeline(row: workflow_event::Model) -> TimelineRecord {
    TimelineRecord {
        id: row.id,
        instance_id: row.instance_id,
        kind: row.kind,
        actor_id: row.actor_id,
        from_step: row.from_step,
        to_step: row.to_step,
        assignee_id: row.assignee_id,
        comment: row.comment,
        created_at: row.created_at,
    }
}

/// The newest version of a definition.
pub async fn latest_definition(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<workflow_definition::Model>, DomainError> {
    Ok(workflow_definition::Entity::find()
        .filter(workflow_definition::Column::Key.eq(key))
        .order_by_desc(workflow_definition::Column::Version)
        .one(db)
        .await?)
}

/// Stores `definition` as `version` of `key` and makes it the latest.
pub async fn store_version(
    txn: &impl ConnectionTrait,
    key: &str,
    definition: &Definition,
    version: i32,
    created_by: Option<Uuid>,
) -> Result<workflow_definition::Model, DomainError> {
    use workflow_definition::Column;
    let json =
        |v: serde_json::Result<serde_json::Value>| v.map_err(|e| DomainError::Internal(e.into()));
    workflow_definition::Entity::update_many()
        .col_expr(Column::Latest, Expr::value(false))
        .filter(Column::Key.eq(key))
        .exec(txn)
        .await?;
    let row = workflow_definition::Model {
        id: Uuid::now_v7(),
        key: key.to_owned(),
        version,
        latest: true,
        name: definition.name.clone(),
        description: definition.description.clone(),
        steps: json(serde_json::to_value(&definition.steps))?,
        transitions: json(serde_json::to_value(&definition.transitions))?,
        initial_step: definition.initial_step.clone(),
        terminal_steps: json(serde_json::to_value(&definition.terminal_steps))?,
        created_by,
        created_at: Utc::now(),
    };
    Ok(
        workflow_definition::Entity::insert(workflow_definition::ActiveModel::from(row))
            .exec_with_returning(txn)
            .await?,
    )
}

/// A stored definition version with its parsed content.
#[derive(Debug, Clone)]
pub struct Pinned {
    /// The stored row (key, version).
    pub row: workflow_definition::Model,
    /// Its steps and transitions.
    pub definition: Definition,
}

impl Pinned {
    /// Parses a stored row.
    pub fn new(row: workflow_definition::Model) -> Result<Self, DomainError> {
        fn parse<T: serde::de::DeserializeOwned>(
            row: &workflow_definition::Model,
            what: &str,
            value: &serde_json::Value,
        ) -> Result<T, DomainError> {
            serde_json::from_value(value.clone()).map_err(|e| {
                DomainError::Internal(anyhow::anyhow!("workflow {} {what}: {e}", row.id))
            })
        }
        let definition = Definition {
            name: row.name.clone(),
            description: row.description.clone(),
            steps: parse(&row, "steps", &row.steps)?,
            transitions: parse(&row, "transitions", &row.transitions)?,
            initial_step: row.initial_step.clone(),
            terminal_steps: parse(&row, "terminal_steps", &row.terminal_steps)?,
        };
        Ok(Self { row, definition })
    }

    /// The record of `row`, an instance running on this version.
    pub fn instance(&self, row: workflow_instance::Model) -> Result<InstanceRecord, DomainError> {
        let status: InstanceStatus = row
            .status
            .parse()
            .map_err(|e| DomainError::corrupt("workflow instance status", e))?;
        let open = status == InstanceStatus::Open;
        let step = self.definition.step(&row.current_step);
        Ok(InstanceRecord {
            overdue: open && row.due_at.is_some_and(|due| due < Utc::now()),
            allowed_transitions: if open {
                self.definition
                    .transitions_from(&row.current_step)
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            },
            current_step_name: step.map(|s| s.name.clone()),
            workflow_name: self.row.name.clone(),
            workflow_version: self.row.version,
            id: row.id,
            workflow_key: row.workflow_key,
            customer_id: row.customer_id,
            status,
            current_step: row.current_step,
            department: row.department,
            assignee_id: row.assignee_id,
            due_at: row.due_at,
            sla_breached_at: row.sla_breached_at,
            version: row.version,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
        })
    }

    /// The version an instance runs on.
    pub async fn of(db: &impl ConnectionTrait, definition_id: Uuid) -> Result<Self, DomainError> {
        let row = workflow_definition::Entity::find_by_id(definition_id)
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("workflow definition {definition_id} missing"))?;
        Self::new(row)
    }

    fn due_at(&self, step: &str, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let hours = self.definition.step(step)?.sla_hours?;
        Some(from + Duration::milliseconds((hours * 3_600_000.0).round() as i64))
    }

    /// The department that owns `step`, if any.
    pub fn department(&self, step: &str) -> Option<String> {
        self.definition
            .step(step)
            .and_then(|s| s.department.clone())
    }
}

/// A timeline event to record.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub kind: &'static str,
    pub actor_id: Option<Uuid>,
    pub from_step: Option<String>,
    pub to_step: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub comment: Option<String>,
}

/// Records `event` on `instance` and emits `workflow.<kind>` with the
/// instance and the event, in the caller's transaction.
pub async fn record(
    txn: &impl ConnectionTrait,
    instance: &workflow_instance::Model,
    pinned: &Pinned,
    event: NewEvent,
) -> Result<TimelineRecord, DomainError> {
    let row = workflow_event::Model {
        id: Uuid::now_v7(),
        instance_id: instance.id,
        kind: event.kind.to_owned(),
        actor_id: event.actor_id,
        from_step: event.from_step,
        to_step: event.to_step,
        assignee_id: event.assignee_id,
        comment: event.comment,
        created_at: Utc::now(),
    };
    let row = workflow_event::Entity::insert(workflow_event::ActiveModel::from(row))
        .exec_with_returning(txn)
        .await?;
    let change = WorkflowChange {
        instance: pinned.instance(instance.clone())?,
        event: timeline(row),
    };
    let event_type = format!("workflow.{}", event.kind)
        .parse::<EventType>()
        .map_err(|e| DomainError::Internal(e.into()))?;
    let out = change.event.clone();
    outbox::emit(txn, EventPayload::Workflow(event_type, Box::new(change))).await?;
    Ok(out)
}

/// Fails with 422 on `field` unless `assignee` is an active user who may act
/// on a step of `department`.
pub async fn check_assignee(
    db: &impl ConnectionTrait,
    field: &str,
    assignee: Uuid,
    department: Option<&str>,
) -> Result<(), DomainError> {
    let user = user::Entity::find_by_id(assignee)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| DomainError::invalid(field, "no such active user"))?;
    let role: Role = user
        .role
        .parse()
        .map_err(|e| DomainError::corrupt("user role", e))?;
    if policy::may_act_on_step(role, user.department.as_deref(), department) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            format!(
                "this user may not act on steps of the {} department",
                department.unwrap_or("(none)")
            ),
        ))
    }
}

/// What a start produced.
#[derive(Debug)]
pub enum Started {
    /// A new instance.
    New(Box<workflow_instance::Model>),
    /// One of the same workflow is already open for the customer.
    AlreadyOpen(Uuid),
}

/// Starts `pinned` on `customer_id` inside `txn` (unless one is already open).
pub async fn start(
    txn: &DatabaseTransaction,
    pinned: &Pinned,
    customer_id: Uuid,
    assignee_id: Option<Uuid>,
    note: Option<String>,
    actor_id: Option<Uuid>,
) -> Result<Started, DomainError> {
    use workflow_instance::Column;
    let open = |db| {
        workflow_instance::Entity::find()
            .filter(Column::CustomerId.eq(customer_id))
            .filter(Column::WorkflowKey.eq(pinned.row.key.as_str()))
            .filter(Column::Status.eq(InstanceStatus::Open.as_str()))
            .one(db)
    };
    let now = Utc::now();
    let step = pinned.definition.initial_step.clone();
    let row = workflow_instance::Model {
        id: Uuid::now_v7(),
        definition_id: pinned.row.id,
        workflow_key: pinned.row.key.clone(),
        customer_id,
        status: InstanceStatus::Open.as_str().to_owned(),
        department: pinned.department(&step),
        due_at: pinned.due_at(&step, now),
        current_step: step.clone(),
        assignee_id,
        sla_breached_at: None,
        version: 1,
        created_by: actor_id,
        created_at: now,
        updated_at: now,
        closed_at: None,
    };
    // The one-open index decides, inside a savepoint so that the surrounding
    // transaction stays usable (PostgreSQL aborts it otherwise). Writing
    // before reading also keeps SQLite from failing a lock upgrade.
    let savepoint = txn.begin().await?;
    let inserted = workflow_instance::Entity::insert(workflow_instance::ActiveModel::from(row))
        .exec_with_returning(&savepoint)
        .await;
    let row = match inserted {
        Ok(row) => {
            savepoint.commit().await?;
            row
        }
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            savepoint.rollback().await?;
            let existing = open(txn).await?.map(|r| r.id).unwrap_or_default();
            return Ok(Started::AlreadyOpen(existing));
        }
        Err(err) => return Err(err.into()),
    };
    let event = NewEvent {
        kind: "started",
        actor_id,
        to_step: Some(step),
        assignee_id,
        comment: note,
        ..NewEvent::default()
    };
    record(txn, &row, pinned, event).await?;
    Ok(Started::New(Box::new(row)))
}

/// A version-checked change of an instance: the new step (if any), the new
/// assignee (if any) and the status.
#[derive(Debug, Clone)]
pub struct Change {
    pub to_step: Option<String>,
    pub assignee_id: Option<Option<Uuid>>,
    pub status: Option<InstanceStatus>,
}

fn version_conflict(expected_version: i32) -> DomainError {
    DomainError::Conflict {
        code: ErrorCode::VersionConflict,
        detail: format!(
            "the instance is no longer at version {expected_version}; fetch it and try again"
        ),
    }
}

/// Fails with 409 `version_conflict` unless `current` is at `expected_version`.
pub fn check_version(
    current: &workflow_instance::Model,
    expected_version: i32,
) -> Result<(), DomainError> {
    if current.version == expected_version {
        Ok(())
    } else {
        Err(version_conflict(expected_version))
    }
}

/// Applies `change` to `current` if its version is still `expected_version`
/// (409 `version_conflict` otherwise), with its event, in one transaction.
pub async fn apply(
    db: &DatabaseConnection,
    current: &workflow_instance::Model,
    pinned: &Pinned,
    expected_version: i32,
    change: Change,
    event: NewEvent,
) -> Result<workflow_instance::Model, DomainError> {
    use workflow_instance::Column;
    check_version(current, expected_version)?;
    let now = Utc::now();
    let mut changes = workflow_instance::ActiveModel {
        version: Set(expected_version + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(step) = &change.to_step {
        changes.current_step = Set(step.clone());
        changes.department = Set(pinned.department(step));
        changes.due_at = Set(change
            .status
            .is_none()
            .then(|| pinned.due_at(step, now))
            .flatten());
        changes.sla_breached_at = Set(None);
    }
    if let Some(assignee) = change.assignee_id {
        changes.assignee_id = Set(assignee);
    }
    if let Some(status) = change.status {
        changes.status = Set(status.as_str().to_owned());
        changes.closed_at = Set(Some(now));
        changes.due_at = Set(None);
    }
    // The conditional UPDATE comes first: on SQLite it takes the write lock
    // before anything is read, and of two racing requests exactly one matches.
    let txn = crate::db::begin_write(db).await?;
    let result = workflow_instance::Entity::update_many()
        .set(changes)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(expected_version))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(version_conflict(expected_version));
    }
    let row = workflow_instance::Entity::find_by_id(current.id)
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::not_found("workflow instance"))?;
    record(&txn, &row, pinned, event).await?;
    txn.commit().await?;
    Ok(row)
}

/// Records an event that changes nothing else (a comment) in its own transaction.
pub async fn comment(
    db: &DatabaseConnection,
    instance: &workflow_instance::Model,
    pinned: &Pinned,
    event: NewEvent,
) -> Result<TimelineRecord, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let out = record(&txn, instance, pinned, event).await?;
    txn.commit().await?;
    Ok(out)
}
