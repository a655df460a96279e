//! `/interactions`: what customers did, one by one or in batches of up to 10,000.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use rapport_core::KindWeights;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::BASE;
use super::interaction_rows::{insert_all, prepare};
use crate::audit::{self, Actor, Event};
use crate::auth::Caller;
use crate::config::WeightOverrides;
use crate::entities::interaction;
use crate::error::{ApiError, FieldError};
use crate::hooks;
use crate::idempotency::{self, Begun, IdempotencyKey};
use crate::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action};
use crate::state::AppState;

/// Most rows in one batch.
pub const MAX_BATCH: usize = 10_000;
/// Personal fields of an interaction, redacted in the audit log.
pub const PII: &[&str] = &["note"];

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionKind {
    View,
    Click,
    Cart,
    Purchase,
    Rating,
    Return,
    SupportTicket,
    Email,
    Call,
    Meeting,
    Survey,
}

impl InteractionKind {
    /// Every kind.
    pub const ALL: [Self; 11] = [
        Self::View,
        Self::Click,
        Self::Cart,
        Self::Purchase,
        Self::Rating,
        Self::Return,
        Self::SupportTicket,
        Self::Email,
        Self::Call,
        Self::Meeting,
        Self::Survey,
    ];

    /// The kind's name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Click => "click",
            Self::Cart => "cart",
            Self::Purchase => "purchase",
            Self::Rating => "rating",
            Self::Return => "return",
            Self::SupportTicket => "support_ticket",
            Self::Email => "email",
            Self::Call => "call",
            Self::Meeting => "meeting",
            Self::Survey => "survey",
        }
    }
}

/// Implicit-feedback weight of each kind (defaults overridden by configuration).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InteractionWeights {
    /// Weight per kind name.
    pub weights: BTreeMap<String, f64>,
}

impl InteractionWeights {
    /// The engines' default weights with `overrides` applied; an unknown kind is an error.
    pub fn new(overrides: &WeightOverrides) -> Result<Self, anyhow::Error> {
        let defaults = KindWeights::default();
        let mut weights: BTreeMap<String, f64> = InteractionKind::ALL
            .iter()
            .map(|kind| {
                (
                    kind.as_str().to_owned(),
                    f64::from(defaults.weight(kind.as_str())),
                )
            })
            .collect();
        for (kind, weight) in &overrides.0 {
            let slot = weights
                .get_mut(kind)
                .ok_or_else(|| anyhow::anyhow!("unknown interaction kind `{kind}` in weights"))?;
            *slot = *weight;
        }
        Ok(Self { weights })
    }

    /// The weights in the engines' form.
    pub fn to_kind_weights(&self) -> KindWeights {
        KindWeights::new(
            self.weights.iter().map(|(k, w)| (k.clone(), *w as f32)),
            0.0,
        )
    }
}

/// One interaction to record. The customer is given by `customer_id` or
/// `customer_external_id`, the item (optional) by `item_id` or `item_sku`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    pub customer_id: Option<Uuid>,
    pub customer_external_id: Option<String>,
    pub item_id: Option<Uuid>,
    pub item_sku: Option<String>,
    pub kind: InteractionKind,
    /// Amount (e.g. purchase value); finite.
    pub value: Option<f64>,
    /// 1 to 5.
    pub rating: Option<i16>,
    pub channel: Option<String>,
    pub note: Option<String>,
    /// Defaults to now; at most one day in the future.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A batch of interactions, written all or nothing.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionBatch {
    /// 1 to 10,000 rows; each is validated on its own so errors name their index.
    #[schema(value_type = Vec<InteractionInput>)]
    pub interactions: Vec<Value>,
}

/// Result of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCreated {
    pub created: usize,
    /// Ids of the new interactions, in input order.
    pub ids: Vec<Uuid>,
}

/// An interaction as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionOut {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub item_id: Option<Uuid>,
    pub kind: String,
    pub value: Option<f64>,
    pub rating: Option<i16>,
    pub channel: Option<String>,
    pub note: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<interaction::Model> for InteractionOut {
    fn from(row: interaction::Model) -> Self {
        Self {
            id: row.id,
            customer_id: row.customer_id,
            item_id: row.item_id,
            kind: row.kind,
            value: row.value,
            rating: row.rating,
            channel: row.channel,
            note: row.note,
            occurred_at: row.occurred_at,
            created_at: row.created_at,
        }
    }
}

/// Filters of interaction lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InteractionFilters {
    pub customer_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
    pub kind: Option<InteractionKind>,
    /// At or after this instant.
    pub occurred_after: Option<DateTime<Utc>>,
    /// Strictly before this instant.
    pub occurred_before: Option<DateTime<Utc>>,
}

const SORTABLE: &[(&str, interaction::Column)] = &[
    ("occurred_at", interaction::Column::OccurredAt),
    ("created_at", interaction::Column::CreatedAt),
];

/// One page of interactions matching `filters` (newest first by default).
pub async fn list_rows(
    db: &impl ConnectionTrait,
    filters: &InteractionFilters,
    page: &PageParams,
) -> Result<Page<InteractionOut>, ApiError> {
    use interaction::Column;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "-occurred_at")?;
    let mut select = interaction::Entity::find();
    if let Some(id) = filters.customer_id {
        select = select.filter(Column::CustomerId.eq(id));
    }
    if let Some(id) = filters.item_id {
        select = select.filter(Column::ItemId.eq(id));
    }
    if let Some(kind) = filters.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(after) = filters.occurred_after {
        select = select.filter(Column::OccurredAt.gte(after));
    }
    if let Some(before) = filters.occurred_before {
        select = select.filter(Column::OccurredAt.lt(before));
    }
    Ok(fetch_page(db, select, sort, Column::Id, page)
        .await?
        .map(InteractionOut::from))
}

/// Record one interaction. Honours `Idempotency-Key`.
#[utoipa::path(tag = "interactions", request_body = InteractionInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = InteractionOut, headers(("Location" = String))),
        (status = 422, body = crate::error::Problem)))]
#[post("/interactions")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<InteractionInput>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteInteractions)?;
    let input = body.into_inner();
    let mut records = prepare(&state.db, vec![input.clone()])
        .await
        .map_err(|err| match err {
            // A single interaction has no row index to report.
            ApiError::Validation(errors) => ApiError::Validation(
                errors
                    .into_iter()
                    .map(|e| FieldError { index: None, ..e })
                    .collect(),
            ),
            other => other,
        })?;
    let creation =
        match idempotency::begin(&state.db, &key, &caller, "POST /interactions", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let record = records
        .pop()
        .ok_or_else(|| anyhow::anyhow!("prepared no record"))?;
    let row = interaction::Entity::insert(interaction::ActiveModel::from(record))
        .exec_with_returning(&creation.txn)
        .await?;
    hooks::interactions_recorded(&creation.txn, std::slice::from_ref(&row)).await?;
    let location = format!("{BASE}/interactions/{}", row.id);
    let recorded = [row.clone()];
    let out = InteractionOut::from(row);
    let diff = audit::diff(None, Some(&audit::snapshot(&out)), PII);
    let event = Event::new("interaction.create", "interaction", Some(out.id)).with_changes(diff);
    audit::record(&creation.txn, &Actor::from(&caller), event).await?;
    let response = creation
        .finish(StatusCode::CREATED, Some(location), &out)
        .await?;
    state.models.activity.note_interactions(&recorded);
    Ok(response)
}

/// Record up to 10,000 interactions in one transaction: all or nothing, with
/// every bad row reported as `errors[{index, field, message}]`.
#[utoipa::path(tag = "interactions", request_body = InteractionBatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = BatchCreated), (status = 422, body = crate::error::Problem)))]
#[post("/interactions/batch")]
async fn create_batch(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<InteractionBatch>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteInteractions)?;
    let batch = body.into_inner();
    if batch.interactions.is_empty() || batch.interactions.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "interactions",
            format!("must hold 1 to {MAX_BATCH} rows"),
        ));
    }
    let mut rows = Vec::with_capacity(batch.interactions.len());
    let mut errors = Vec::new();
    for (index, value) in batch.interactions.iter().enumerate() {
        match InteractionInput::deserialize(value) {
            Ok(row) => rows.push(row),
            Err(err) => errors.push(FieldError::new("", err.to_string()).at(index)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let records = prepare(&state.db, rows).await?;
    let creation =
        match idempotency::begin(&state.db, &key, &caller, "POST /interactions/batch", &batch)
            .await?
        {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let recorded = records.clone();
    insert_all(&creation.txn, records).await?;
    // One entry for the batch: a row per interaction would double its cost.
    let event = Event::new("interaction.create_batch", "interaction", None)
        .with_changes(serde_json::json!({"created": ids.len()}));
    audit::record(&creation.txn, &Actor::from(&caller), event).await?;
    hooks::interactions_recorded(&creation.txn, &recorded).await?;
    let created = BatchCreated {
        created: ids.len(),
        ids,
    };
    let response = creation.finish(StatusCode::CREATED, None, &created).await?;
    state.models.activity.note_interactions(&recorded);
    Ok(response)
}

/// List interactions, filtered and paginated (sort by occurred_at or created_at).
#[utoipa::path(tag = "interactions", params(InteractionFilters, PageParams),
    responses((status = 200, body = Page<InteractionOut>)))]
#[get("/interactions")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filters: web::Query<InteractionFilters>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCatalog)?;
    Ok(HttpResponse::Ok().json(list_rows(&state.db, &filters, &page).await?))
}

/// Get one interaction.
#[utoipa::path(tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = InteractionOut), (status = 404, body = crate::error::Problem)))]
#[get("/interactions/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCatalog)?;
    let row = interaction::Entity::find_by_id(*id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("interaction"))?;
    Ok(HttpResponse::Ok().json(InteractionOut::from(row)))
}

/// The implicit-feedback weight of each interaction kind, as configured.
#[utoipa::path(tag = "interactions", responses((status = 200, body = InteractionWeights)))]
#[get("/interaction-weights")]
async fn interaction_weights(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCatalog)?;
    Ok(HttpResponse::Ok().json(&state.weights))
}

/// Mounts the interaction routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create)
        .service(create_batch)
        .service(list)
        .service(get_one)
        .service(interaction_weights);
}
