//! Customers and the GDPR: soft delete and erasure (`DELETE
//! /customers/{id}[?erase=true]`) and restore by an admin (the export of
//! everything held on a person is `customer_export`).

use actix_web::{HttpResponse, delete, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::customers::CustomerOut;
use crate::auth::Caller;
use crate::http::error::ApiError;
use crate::http::etag::{IfMatch, with_etag};
use crate::policy::{self, Action};
use crate::services::{Context, privacy};
use crate::state::AppState;

/// `?erase=` of `DELETE /customers/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Erase the personal data for good (GDPR; admin and manager) instead of
    /// a restorable soft delete.
    pub erase: Option<bool>,
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

/// Mounts the privacy routes of customers.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(remove).service(restore);
}
