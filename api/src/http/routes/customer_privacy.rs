//! Customers and the GDPR: soft delete and erasure (`DELETE
//! /customers/{id}[?erase=true]`), restore by an admin, and the export of
//! everything held on a person.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::BASE;
use super::audit_log::{self, AuditEntryOut};
use super::customers::CustomerOut;
use super::interactions::InteractionOut;
use crate::auth::Caller;
use crate::domain::customer::PII;
use crate::domain::{DomainError, ErrorCode};
use crate::entities::customer::{self, Column};
use crate::entities::{idempotency_key, interaction};
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::policy::{self, Action, Grant};
use crate::services::audit::{self, Actor, Event};
use crate::services::customers::find_live;
use crate::services::records;
use crate::services::records::update_if_version;
use crate::state::AppState;

/// What replaces the name of an erased customer.
pub const ERASED_NAME: &str = "[erased]";

/// `?erase=` of `DELETE /customers/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Erase the personal data for good (GDPR; admin and manager) instead of
    /// a restorable soft delete.
    pub erase: Option<bool>,
}

/// Everything held on one customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerExport {
    pub exported_at: DateTime<Utc>,
    /// Set when the customer was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Set when the customer's personal data was erased.
    pub erased_at: Option<DateTime<Utc>>,
    pub customer: CustomerOut,
    /// Every interaction, oldest first.
    pub interactions: Vec<InteractionOut>,
    /// Audit entries about the customer, oldest first.
    pub audit: Vec<AuditEntryOut>,
}

/// The customer, deleted or not, or 404.
async fn find_any(db: &impl ConnectionTrait, id: Uuid) -> Result<customer::Model, ApiError> {
    customer::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))
}

/// The lifecycle changes of this module, applied and audited by [`apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Delete,
    Erase,
    Restore,
}

impl Change {
    fn action(self) -> &'static str {
        match self {
            Change::Delete => "customer.delete",
            Change::Erase => "customer.erase",
            Change::Restore => "customer.restore",
        }
    }

    fn fields(self, current: &customer::Model, now: DateTime<Utc>) -> customer::ActiveModel {
        let mut changes = customer::ActiveModel {
            updated_at: Set(now),
            version: Set(current.version + 1),
            ..Default::default()
        };
        match self {
            Change::Delete => changes.deleted_at = Set(Some(now)),
            Change::Restore => changes.deleted_at = Set(None),
            Change::Erase => {
                changes.name = Set(ERASED_NAME.to_owned());
                changes.email = Set(None);
                changes.phone = Set(None);
                changes.company = Set(None);
                changes.external_id = Set(None);
                changes.deleted_at = Set(Some(current.deleted_at.unwrap_or(now)));
                changes.erased_at = Set(Some(now));
            }
        }
        changes
    }
}

/// Removes the free text of the customer's interactions (kept for the
/// models) and forgets stored responses that repeated personal data.
async fn scrub_related(txn: &impl ConnectionTrait, id: Uuid) -> Result<(), ApiError> {
    interaction::Entity::update_many()
        .col_expr(
            interaction::Column::Note,
            Expr::value(Option::<String>::None),
        )
        .filter(interaction::Column::CustomerId.eq(id))
        .exec(txn)
        .await?;
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Location.eq(format!("{BASE}/customers/{id}")))
        .exec(txn)
        .await?;
    Ok(crate::services::events::customer_erased(txn, id).await?)
}

/// Applies `change` to `current` (conditional on its version) and audits it
/// with a redacted diff, in one transaction.
async fn apply(
    state: &AppState,
    caller: &Caller,
    current: &customer::Model,
    change: Change,
) -> Result<(), ApiError> {
    let txn = state.db.begin().await?;
    update_if_version::<customer::Entity, _>(
        &txn,
        change.fields(current, Utc::now()),
        (Column::Id, current.id),
        (Column::Version, current.version),
    )
    .await?;
    if change == Change::Erase {
        scrub_related(&txn, current.id).await?;
    }
    let after = find_any(&txn, current.id).await?;
    let view = |row: &customer::Model| records::customer(row).map(|r| audit::snapshot(&r));
    let diff = audit::diff(Some(&view(current)?), Some(&view(&after)?), PII);
    let event = Event::new(change.action(), "customer", Some(current.id)).with_changes(diff);
    audit::record(&txn, &Actor::from(caller), event).await?;
    txn.commit().await?;
    let deleted = change != Change::Restore;
    state.models.activity.note_customer(current.id, deleted);
    Ok(())
}

/// Delete a customer: soft (hidden, restorable by an admin), or with
/// `?erase=true` erase the personal data for good (admin, manager): name,
/// e-mail, phone, company, external id and interaction notes; interactions
/// are kept, anonymous, for the models. Erasing twice is harmless.
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header), DeleteParams),
    responses((status = 204), (status = 404, body = crate::http::error::Problem), (status = 412, body = crate::http::error::Problem)))]
#[delete("/customers/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    params: web::Query<DeleteParams>,
) -> Result<HttpResponse, ApiError> {
    let erasing = params.erase.unwrap_or(false);
    let (grant, current) = if erasing {
        let grant = policy::require(&caller, Action::EraseCustomers)?;
        (grant, find_any(&state.db, *id).await?)
    } else {
        let grant = policy::require(&caller, Action::WriteCustomers)?;
        (grant, find_live(&state.db, *id).await?)
    };
    grant.check_owner(&caller, current.owner_id)?;
    if_match.check(current.version)?;
    if erasing && current.erased_at.is_some() {
        return Ok(HttpResponse::NoContent().finish());
    }
    let change = if erasing {
        Change::Erase
    } else {
        Change::Delete
    };
    apply(&state, &caller, &current, change).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Bring back a soft-deleted customer (admin). Erased customers cannot come back (409).
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerOut), (status = 404, body = crate::http::error::Problem),
        (status = 409, body = crate::http::error::Problem, description = "the customer was erased")))]
#[post("/customers/{id}/restore")]
async fn restore(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::RestoreCustomers)?;
    let current = find_any(&state.db, *id).await?;
    if current.erased_at.is_some() {
        return Err(ApiError::Domain(DomainError::Conflict {
            code: ErrorCode::Erased,
            detail: "the customer's personal data was erased; it cannot be restored".to_owned(),
        }));
    }
    if current.deleted_at.is_some() {
        apply(&state, &caller, &current, Change::Restore).await?;
    }
    let row = find_live(&state.db, current.id).await?;
    let version = row.version;
    Ok(with_etag(HttpResponse::Ok(), version)
        .json(CustomerOut::new(records::customer(&row)?, grant)))
}

/// Everything held on a customer as one JSON document: the record, every
/// interaction and the audit entries about them. Masked for roles that read
/// without personal data; an erased customer's export holds nothing personal.
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerExport), (status = 404, body = crate::http::error::Problem)))]
#[get("/customers/{id}/export")]
async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    let row = find_any(&state.db, *id).await?;
    if row.deleted_at.is_some() && row.erased_at.is_none() {
        // A soft-deleted customer is only visible to whoever may restore it.
        policy::require(&caller, Action::RestoreCustomers)?;
    }
    let interactions = interaction::Entity::find()
        .filter(interaction::Column::CustomerId.eq(row.id))
        .order_by_asc(interaction::Column::OccurredAt)
        .order_by_asc(interaction::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|i| {
            let mut out = InteractionOut::new(i)?;
            if grant == Grant::Masked {
                out.note = None;
            }
            Ok(out)
        })
        .collect::<Result<_, DomainError>>()?;
    let body = CustomerExport {
        exported_at: Utc::now(),
        deleted_at: row.deleted_at,
        erased_at: row.erased_at,
        audit: audit_log::about(&state.db, "customer", row.id).await?,
        customer: CustomerOut::new(records::customer(&row)?, grant),
        interactions,
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Mounts the privacy routes of customers.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(remove).service(restore).service(export);
}
