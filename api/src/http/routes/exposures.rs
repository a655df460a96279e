//! `/exposures`: the recorded lists, and the impressions a client confirms.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::entities::exposure;
use crate::http::error::ApiError;
use crate::policy::{self, Action};
use crate::services::{Context, exposures};
use crate::state::AppState;

/// A served list, as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureOut {
    pub id: Uuid,
    /// Whom it was for (none for similar items).
    pub customer_id: Option<Uuid>,
    pub model_id: Uuid,
    pub engine: String,
    pub experiment_id: Option<Uuid>,
    pub arm: Option<String>,
    pub placement: String,
    /// The item ids, in list order.
    #[schema(value_type = Vec<Uuid>)]
    pub items: Value,
    /// The item ids the client confirmed it showed; none: every item counts.
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub impressions: Option<Value>,
    pub created_at: DateTime<Utc>,
}

impl From<exposure::Model> for ExposureOut {
    fn from(row: exposure::Model) -> Self {
        Self {
            id: row.id,
            customer_id: row.customer_id,
            model_id: row.model_id,
            engine: row.engine,
            experiment_id: row.experiment_id,
            arm: row.arm,
            placement: row.placement,
            items: row.items,
            impressions: row.impressions,
            created_at: row.created_at,
        }
    }
}

/// The items of a list a client showed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpressionsInput {
    /// 1 to 100 ids, each an item of the list.
    pub item_ids: Vec<Uuid>,
}

/// One recorded list (404 until it is written, within a fraction of a second).
#[utoipa::path(tag = "predictions", params(("id" = Uuid, Path)),
    responses((status = 200, body = ExposureOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/exposures/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let row = exposures::find(&state.db, *id).await?;
    Ok(HttpResponse::Ok().json(ExposureOut::from(row)))
}

/// Confirm which items of a list were shown (optional: without it, every
/// served item counts as shown). Replaces an earlier confirmation.
#[utoipa::path(tag = "predictions", request_body = ImpressionsInput, params(("id" = Uuid, Path)),
    responses((status = 200, body = ExposureOut), (status = 404, body = crate::http::error::Problem),
        (status = 422, body = crate::http::error::Problem)))]
#[post("/exposures/{id}/impressions")]
async fn impressions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<ImpressionsInput>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::WriteInteractions)?;
    let ctx = Context::for_caller(&state.db, &caller, grant, &state.models);
    let row = exposures::confirm_impressions(&ctx, *id, &body.item_ids).await?;
    Ok(HttpResponse::Ok().json(ExposureOut::from(row)))
}

/// Mounts the exposure routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_one).service(impressions);
}
