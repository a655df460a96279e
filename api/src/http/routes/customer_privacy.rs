//! Customers and the GDPR: soft delete and erasure (`DELETE
//! /customers/{id}[?erase=true]`), restore by an admin, and the export of
//! everything held on a person.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::audit_log::{self, AuditEntryOut};
use super::customers::CustomerOut;
use super::interactions::InteractionOut;
use crate::auth::Caller;
use crate::domain::DomainError;
use crate::entities::interaction;
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::policy::{self, Action};
use crate::services::{Context, privacy, records};
use crate::state::AppState;

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
    let action = if erasing {
        Action::EraseCustomers
    } else {
        Action::WriteCustomers
    };
    let grant = policy::require(&caller, action)?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    privacy::delete(&ctx, *id, &if_match, erasing).await?;
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
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    let record = privacy::restore(&ctx, *id).await?;
    let version = record.version;
    Ok(with_etag(HttpResponse::Ok(), version).json(CustomerOut::new(record, grant)))
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
    let row = privacy::find_any(&state.db, *id).await?;
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
        .map(|i| InteractionOut::new(i, grant))
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
