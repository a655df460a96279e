//! The append-only audit log. Handlers call [`record`] inside the transaction
//! of the change they audit, so an entry exists exactly when the change does.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, IntoActiveModel};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::Caller;
use crate::domain::DomainError;
use crate::entities::audit_entry;

/// What replaces a personal value in the log.
pub const REDACTED: &str = "[redacted]";
/// Bookkeeping fields left out of diffs.
const IGNORED: &[&str] = &["version", "created_at", "updated_at"];

/// Who did it, and in which request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user:<id>`, `key:<id>`, `cli`, `system` or `anonymous`.
    pub id: String,
    /// The request id, when the change came through the API.
    pub request_id: Option<String>,
}

impl Actor {
    /// A caller not (yet) authenticated, e.g. a failed sign-in.
    pub fn anonymous(request_id: Option<String>) -> Self {
        Self {
            id: "anonymous".to_owned(),
            request_id,
        }
    }

    /// A signed-in user known by id (e.g. right after sign-in).
    pub fn user(id: Uuid, request_id: Option<String>) -> Self {
        Self {
            id: format!("user:{id}"),
            request_id,
        }
    }

    /// The service itself (first start).
    pub fn system() -> Self {
        Self {
            id: "system".to_owned(),
            request_id: None,
        }
    }

    /// The command line (`rapport user create`).
    pub fn cli() -> Self {
        Self {
            id: "cli".to_owned(),
            request_id: None,
        }
    }
}

impl From<&Caller> for Actor {
    fn from(caller: &Caller) -> Self {
        Self {
            id: caller.actor(),
            request_id: caller.request_id.clone(),
        }
    }
}

/// One event to log.
#[derive(Debug, Clone)]
pub struct Event {
    action: &'static str,
    resource_type: &'static str,
    resource_id: Option<String>,
    changes: Option<Value>,
}

impl Event {
    /// `action` (e.g. `customer.update`) on the resource `resource_type`/`id`.
    pub fn new(action: &'static str, resource_type: &'static str, id: Option<Uuid>) -> Self {
        Self {
            action,
            resource_type,
            resource_id: id.map(|id| id.to_string()),
            changes: None,
        }
    }

    /// Attaches field-level changes (see [`diff`]) or other details.
    pub fn with_changes(mut self, changes: Value) -> Self {
        self.changes = Some(changes);
        self
    }
}

/// Appends `event` done by `actor`.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    event: Event,
) -> Result<(), DomainError> {
    audit_entry::Model {
        id: Uuid::now_v7(),
        occurred_at: Utc::now(),
        actor: actor.id.clone(),
        action: event.action.to_owned(),
        resource_type: event.resource_type.to_owned(),
        resource_id: event.resource_id,
        request_id: actor.request_id.clone(),
        changes: event.changes,
    }
    .into_active_model()
    .insert(db)
    .await?;
    Ok(())
}

/// A JSON snapshot of a DTO for [`diff`].
pub fn snapshot(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn redact(field: &str, value: &Value, pii: &[&str]) -> Value {
    if pii.contains(&field) && !value.is_null() {
        Value::String(REDACTED.to_owned())
    } else {
        value.clone()
    }
}

/// Field-level changes `{field: {from, to}}` between two snapshots (either may
/// be absent for a creation or deletion); values of `pii` fields are redacted.
pub fn diff(before: Option<&Value>, after: Option<&Value>, pii: &[&str]) -> Value {
    let empty = Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut changes = Map::new();
    for field in before.keys().chain(after.keys()) {
        if IGNORED.contains(&field.as_str()) || changes.contains_key(field) {
            continue;
        }
        let from = before.get(field).unwrap_or(&Value::Null);
        let to = after.get(field).unwrap_or(&Value::Null);
        if from != to {
            changes.insert(
                field.clone(),
                json!({"from": redact(field, from, pii), "to": redact(field, to, pii)}),
            );
        }
    }
    Value::Object(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_fields_and_redacts_pii() {
        let before = json!({"name": "Ada", "segment": "smb", "version": 1, "email": null});
        let after = json!({"name": "Ada L", "segment": "smb", "version": 2, "email": "a@x.io"});
        let changes = diff(Some(&before), Some(&after), &["name", "email"]);
        assert_eq!(
            changes,
            json!({
                "name": {"from": REDACTED, "to": REDACTED},
                "email": {"from": null, "to": REDACTED},
            })
        );
        let created = diff(None, Some(&json!({"segment": "smb"})), &[]);
        assert_eq!(created, json!({"segment": {"from": null, "to": "smb"}}));
    }
}
