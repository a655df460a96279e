//! `GET /customers/{id}/timeline`: everything that happened to a customer,
//! newest first, in one list: their interactions and the changes of their
//! segment, as CRM users read a contact's activity feed.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::interactions::InteractionOut;
use super::segments::SegmentChangeOut;
use crate::auth::Caller;
use crate::entities::{interaction, segment_change};
use crate::http::error::ApiError;
use crate::http::pagination::{Page, PageParams, TimeCursor, limit};
use crate::policy::{self, Action};
use crate::services::customers;
use crate::state::AppState;

/// What a timeline entry records.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TimelineEntryType {
    /// An interaction (purchase, ticket, survey answer ...).
    Interaction,
    /// The customer moved to another segment.
    SegmentChange,
}

/// One entry of a customer's timeline: exactly one of `interaction` and
/// `segment_change` is present, as `type` says.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    /// What the entry records.
    #[serde(rename = "type")]
    pub entry_type: TimelineEntryType,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The interaction, for `type = interaction`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction: Option<InteractionOut>,
    /// The segment change, for `type = segment_change`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_change: Option<SegmentChangeOut>,
}

/// An entry with its position in the merged order.
struct Positioned {
    at: DateTime<Utc>,
    id: Uuid,
    entry: TimelineEntry,
}

/// The customer's interactions and segment changes, newest first (paged by
/// `limit` and `cursor`; `sort` is not taken).
#[utoipa::path(tag = "customers", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<TimelineEntry>), (status = 404, body = crate::http::error::Problem)))]
#[get("/customers/{id}/timeline")]
async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    policy::require(&caller, Action::ReadCatalog)?;
    if page.sort.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        return Err(ApiError::invalid(
            "sort",
            "the timeline is always newest first",
        ));
    }
    let limit = limit(&page)?;
    let cursor = TimeCursor::from_params(&page)?;
    let customer = customers::find_live(&state.db, *id).await?;

    let mut interactions =
        interaction::Entity::find().filter(interaction::Column::CustomerId.eq(customer.id));
    let mut changes =
        segment_change::Entity::find().filter(segment_change::Column::CustomerId.eq(customer.id));
    if let Some(c) = cursor {
        interactions =
            interactions.filter(c.after(interaction::Column::OccurredAt, interaction::Column::Id));
        changes = changes.filter(c.after(
            segment_change::Column::ChangedAt,
            segment_change::Column::Id,
        ));
    }
    let interactions = interactions
        .order_by_desc(interaction::Column::OccurredAt)
        .order_by_desc(interaction::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let changes = changes
        .order_by_desc(segment_change::Column::ChangedAt)
        .order_by_desc(segment_change::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;

    let mut merged = Vec::with_capacity(interactions.len() + changes.len());
    for row in interactions {
        let (at, id) = (row.occurred_at, row.id);
        let entry = TimelineEntry {
            entry_type: TimelineEntryType::Interaction,
            at,
            interaction: Some(InteractionOut::new(row, grant)?),
            segment_change: None,
        };
        merged.push(Positioned { at, id, entry });
    }
    for row in changes {
        let (at, id) = (row.changed_at, row.id);
        let entry = TimelineEntry {
            entry_type: TimelineEntryType::SegmentChange,
            at,
            interaction: None,
            segment_change: Some(SegmentChangeOut::from(row)),
        };
        merged.push(Positioned { at, id, entry });
    }
    merged.sort_by_key(|p| std::cmp::Reverse((p.at, p.id)));
    let next_cursor = if merged.len() as u64 > limit {
        merged.truncate(limit as usize);
        merged
            .last()
            .map(|last| {
                TimeCursor {
                    at: last.at,
                    id: last.id,
                }
                .encode()
            })
            .transpose()?
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Page {
        data: merged.into_iter().map(|p| p.entry).collect(),
        next_cursor,
    }))
}

/// Mounts the timeline route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(timeline);
}
