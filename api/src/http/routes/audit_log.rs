//! `GET /audit-log` (admin): who did what, when, filtered and paginated.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::entities::audit_entry::{self, Column};
use crate::http::error::ApiError;
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::state::AppState;

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// `user:<id>`, `key:<id>`, `cli`, `system` or `anonymous`.
    pub actor: String,
    /// e.g. `customer.update`, `auth.login_failed`, `user.role_change`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub request_id: Option<String>,
    /// `{field: {from, to}}` for changes, personal values shown as `[redacted]`.
    #[schema(value_type = Option<Object>)]
    pub changes: Option<Value>,
}

impl From<audit_entry::Model> for AuditEntryOut {
    fn from(row: audit_entry::Model) -> Self {
        Self {
            id: row.id,
            occurred_at: row.occurred_at,
            actor: row.actor,
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            request_id: row.request_id,
            changes: row.changes,
        }
    }
}

/// Filters of `GET /audit-log`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilters {
    /// Exact actor, e.g. `user:0193...`.
    pub actor: Option<String>,
    /// Exact action, e.g. `customer.erase`.
    pub action: Option<String>,
    /// e.g. `customer`, `user`, `api_key`.
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// At or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Strictly before this instant.
    pub until: Option<DateTime<Utc>>,
}

/// Read the audit log (admin), newest first by default.
#[utoipa::path(tag = "audit", params(AuditFilters, PageParams),
    responses((status = 200, body = Page<AuditEntryOut>, description = "One page; sort by occurred_at")))]
#[get("/audit-log")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<AuditFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ManageAccess)?;
    let sort = Sort::parse(
        page.sort.as_deref(),
        &[("occurred_at", Column::OccurredAt)],
        "-occurred_at",
    )?;
    let mut select = audit_entry::Entity::find();
    let exact = [
        (Column::Actor, &filters.actor),
        (Column::Action, &filters.action),
        (Column::ResourceType, &filters.resource_type),
        (Column::ResourceId, &filters.resource_id),
    ];
    for (column, value) in exact {
        if let Some(value) = value {
            select = select.filter(column.eq(value.as_str()));
        }
    }
    if let Some(since) = filters.since {
        select = select.filter(Column::OccurredAt.gte(since));
    }
    if let Some(until) = filters.until {
        select = select.filter(Column::OccurredAt.lt(until));
    }
    let rows = fetch_page(&state.db, select, sort, Column::Id, &page).await?;
    Ok(HttpResponse::Ok().json(rows.map(AuditEntryOut::from)))
}

/// Mounts the audit log route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list);
}
