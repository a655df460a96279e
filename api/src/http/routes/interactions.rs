//! `/interactions`: what customers did, one by one or in batches of up to 10,000.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{BASE, filters};
use crate::auth::Caller;
use crate::domain::interaction::{
    InteractionFields, MAX_BATCH, NewInteraction, Survey, SurveyFields,
};
use crate::domain::{DomainError, FieldError, InteractionKind};
use crate::entities::interaction;
use crate::http::error::ApiError;
use crate::http::idempotency::{self, Begun, IdempotencyKey};
use crate::http::pagination::{Page, PageParams, Sort, fetch_page};
use crate::policy::{self, Action, Grant};
use crate::services::Context;
use crate::services::interactions::{self, Recording};
use crate::state::AppState;
use rapport_satisfaction::SurveyType;

/// One interaction to record. The customer is given by `customer_id` or
/// `customer_external_id`, the item (optional) by `item_id` or `item_sku`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"customer_external_id": "crm-0001", "item_sku": "COF-001", "kind": "purchase", "value": 24.5, "channel": "web", "occurred_at": "2026-11-30T10:15:00Z"}))]
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
    /// The order or invoice it belongs to (at most 128 characters): the
    /// interactions of one basket are what is bought together.
    pub basket_id: Option<String>,
    /// The served list (`exposure_id` of a recommendation response) that
    /// led to it: attributed to that list rather than the latest one.
    pub exposure_id: Option<Uuid>,
    /// The answer, on interactions of kind `survey` only.
    pub survey: Option<SurveyInput>,
}

/// The scale of a survey question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SurveyKind {
    /// Net Promoter Score, 0 to 10.
    Nps,
    /// Customer satisfaction, 1 to 5.
    Csat,
    /// Customer effort, 1 to 7.
    Ces,
}

impl From<SurveyKind> for SurveyType {
    fn from(kind: SurveyKind) -> Self {
        match kind {
            SurveyKind::Nps => SurveyType::Nps,
            SurveyKind::Csat => SurveyType::Csat,
            SurveyKind::Ces => SurveyType::Ces,
        }
    }
}

impl From<SurveyType> for SurveyKind {
    fn from(kind: SurveyType) -> Self {
        match kind {
            SurveyType::Nps => SurveyKind::Nps,
            SurveyType::Csat => SurveyKind::Csat,
            SurveyType::Ces => SurveyKind::Ces,
        }
    }
}

/// A survey answer: NPS 0..10, CSAT 1..5, CES 1..7 (out of range: 422).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "nps", "score": 9, "question": "How likely are you to recommend us?"}))]
pub struct SurveyInput {
    #[serde(rename = "type")]
    pub kind: SurveyKind,
    pub score: i64,
    /// At most 500 characters.
    pub question: Option<String>,
    /// Free text; personal data (withheld from analysts).
    pub comment: Option<String>,
}

/// A stored survey answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyOut {
    #[serde(rename = "type")]
    pub kind: SurveyKind,
    pub score: u8,
    pub question: Option<String>,
    pub comment: Option<String>,
}

impl From<Survey> for SurveyOut {
    fn from(survey: Survey) -> Self {
        Self {
            kind: survey.answer.kind().into(),
            score: survey.answer.score(),
            question: survey.question,
            comment: survey.comment,
        }
    }
}

/// A batch of interactions, written all or nothing.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"interactions": [{"customer_external_id": "crm-0001", "item_sku": "COF-001", "kind": "view"}, {"customer_external_id": "crm-0001", "item_sku": "COF-001", "kind": "purchase", "value": 24.5}]}))]
pub struct InteractionBatch {
    /// 1 to 10,000 rows; each is validated on its own so errors name their index.
    #[schema(value_type = Vec<InteractionInput>)]
    #[serde(deserialize_with = "at_most_a_batch")]
    pub interactions: Vec<Value>,
}

/// Reads the rows of a batch, refusing the array as soon as it holds more
/// than [`MAX_BATCH`] rows, before the rest of it is parsed.
fn at_most_a_batch<'de, D: serde::Deserializer<'de>>(input: D) -> Result<Vec<Value>, D::Error> {
    struct Rows;
    impl<'de> serde::de::Visitor<'de> for Rows {
        type Value = Vec<Value>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "an array of at most {MAX_BATCH} interactions")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<Value>, A::Error> {
            let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_BATCH));
            while let Some(row) = seq.next_element()? {
                if rows.len() == MAX_BATCH {
                    return Err(serde::de::Error::custom(format!(
                        "interactions: a batch holds at most {MAX_BATCH} rows"
                    )));
                }
                rows.push(row);
            }
            Ok(rows)
        }
    }
    input.deserialize_seq(Rows)
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
    pub kind: InteractionKind,
    pub value: Option<f64>,
    pub rating: Option<i16>,
    pub channel: Option<String>,
    pub note: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub basket_id: Option<String>,
    /// The served list the client said led to it.
    pub exposure_id: Option<Uuid>,
    pub survey: Option<SurveyOut>,
}

impl From<InteractionInput> for InteractionFields {
    fn from(input: InteractionInput) -> Self {
        Self {
            customer_id: input.customer_id,
            customer_external_id: input.customer_external_id,
            item_id: input.item_id,
            item_sku: input.item_sku,
            kind: input.kind,
            value: input.value,
            rating: input.rating,
            channel: input.channel,
            note: input.note,
            occurred_at: input.occurred_at,
            basket_id: input.basket_id,
            exposure_id: input.exposure_id,
            survey: input.survey.map(|s| SurveyFields {
                kind: s.kind.into(),
                score: s.score,
                question: s.question,
                comment: s.comment,
            }),
        }
    }
}

impl InteractionOut {
    /// The API view of a row (its kind read with a checked conversion),
    /// masked for a masked grant.
    pub fn new(row: interaction::Model, grant: Grant) -> Result<Self, DomainError> {
        let record = crate::services::records::interaction(&row)?;
        let record = if grant == Grant::Masked {
            record.masked()
        } else {
            record
        };
        Ok(Self {
            id: record.id,
            customer_id: record.customer_id,
            item_id: record.item_id,
            kind: record.kind,
            value: record.value,
            rating: record.rating,
            channel: record.channel,
            note: record.note,
            occurred_at: record.occurred_at,
            created_at: record.created_at,
            basket_id: record.basket_id,
            exposure_id: record.exposure_id,
            survey: record.survey.map(SurveyOut::from),
        })
    }
}

/// Filters of interaction lists.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InteractionFilters {
    pub customer_id: Option<Uuid>,
    pub item_id: Option<Uuid>,
    pub kind: Option<InteractionKind>,
    /// Interactions of one order or invoice.
    pub basket_id: Option<String>,
    /// At or after this instant.
    pub occurred_after: Option<DateTime<Utc>>,
    /// Strictly before this instant.
    pub occurred_before: Option<DateTime<Utc>>,
}

const SORTABLE: &[(&str, interaction::Column)] = &[
    ("occurred_at", interaction::Column::OccurredAt),
    ("created_at", interaction::Column::CreatedAt),
];

/// One page of interactions matching `filters` (newest first by default),
/// of live customers only, masked for a masked grant.
pub async fn list_rows(
    db: &impl ConnectionTrait,
    filters: &InteractionFilters,
    page: &PageParams,
    grant: Grant,
) -> Result<Page<InteractionOut>, ApiError> {
    use interaction::Column;
    let sort = Sort::parse(page.sort.as_deref(), SORTABLE, "-occurred_at")?;
    let mut select =
        interaction::Entity::find().filter(filters::of_visible_customer(Column::CustomerId));
    if let Some(id) = filters.customer_id {
        select = select.filter(Column::CustomerId.eq(id));
    }
    if let Some(id) = filters.item_id {
        select = select.filter(Column::ItemId.eq(id));
    }
    if let Some(kind) = filters.kind {
        select = select.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(basket) = &filters.basket_id {
        select = select.filter(Column::BasketId.eq(basket.as_str()));
    }
    if let Some(after) = filters.occurred_after {
        select = select.filter(Column::OccurredAt.gte(after));
    }
    if let Some(before) = filters.occurred_before {
        select = select.filter(Column::OccurredAt.lt(before));
    }
    Ok(fetch_page(db, select, sort, Column::Id, page)
        .await?
        .try_map(|row| InteractionOut::new(row, grant))?)
}

/// Record one interaction. Honours `Idempotency-Key`.
#[utoipa::path(tag = "interactions", request_body = InteractionInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = InteractionOut, headers(("Location" = String))),
        (status = 422, body = crate::http::error::Problem)))]
#[post("/interactions")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<InteractionInput>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteInteractions)?;
    let input = body.into_inner();
    let now = Utc::now();
    let new = NewInteraction::parse(input.clone().into(), now).map_err(DomainError::Invalid)?;
    let ctx = Context::for_caller(&state.db, &caller, Grant::Full, &state.models);
    // The key is claimed before the references are checked, so a retry gets
    // the first response even if a referenced row changed since.
    let creation =
        match idempotency::begin(&state, &key, &caller, "POST /interactions", &input).await? {
            Begun::Replay(response) => return Ok(response),
            Begun::Fresh(creation) => creation,
        };
    let rows = interactions::prepare(&creation.txn, vec![new], now)
        .await
        .map_err(|err| match err {
            // A single interaction has no row index to report.
            DomainError::Invalid(errors) => DomainError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError { index: None, ..e })
                    .collect(),
            ),
            other => other,
        })?;
    let mut recorded = interactions::record(&ctx, &creation.txn, rows, Recording::SINGLE).await?;
    let row = recorded
        .pop()
        .ok_or_else(|| anyhow::anyhow!("recorded no interaction"))?;
    let location = format!("{BASE}/interactions/{}", row.id);
    let response = creation
        .finish(
            StatusCode::CREATED,
            Some(location),
            &InteractionOut::new(row, Grant::Full)?,
        )
        .await?;
    ctx.committed();
    Ok(response)
}

/// Record up to 10,000 interactions in one transaction: all or nothing, with
/// every bad row reported as `errors[{index, field, message}]`.
#[utoipa::path(tag = "interactions", request_body = InteractionBatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation key")),
    responses((status = 201, body = BatchCreated), (status = 422, body = crate::http::error::Problem)))]
#[post("/interactions/batch")]
async fn create_batch(
    state: web::Data<AppState>,
    caller: Caller,
    key: IdempotencyKey,
    body: web::Json<InteractionBatch>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::WriteInteractions)?;
    let batch = body.into_inner();
    if batch.interactions.is_empty() {
        return Err(ApiError::invalid(
            "interactions",
            format!("must hold 1 to {MAX_BATCH} rows"),
        ));
    }
    let now = Utc::now();
    let mut rows = Vec::with_capacity(batch.interactions.len());
    let mut errors = Vec::new();
    for (index, value) in batch.interactions.iter().enumerate() {
        match InteractionInput::deserialize(value) {
            Ok(row) => match NewInteraction::parse(row.into(), now) {
                Ok(row) => rows.push(row),
                Err(row_errors) => errors.extend(row_errors.into_iter().map(|e| e.at(index))),
            },
            Err(err) => errors.push(FieldError::new("", err.to_string()).at(index)),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors).into());
    }
    let ctx = Context::for_caller(&state.db, &caller, Grant::Full, &state.models);
    let creation = match idempotency::begin(
        &state,
        &key,
        &caller,
        "POST /interactions/batch",
        &batch,
    )
    .await?
    {
        Begun::Replay(response) => return Ok(response),
        Begun::Fresh(creation) => creation,
    };
    let rows = interactions::prepare(&creation.txn, rows, now).await?;
    let recorded = interactions::record(&ctx, &creation.txn, rows, Recording::BATCH).await?;
    let created = BatchCreated {
        created: recorded.len(),
        ids: recorded.iter().map(|r| r.id).collect(),
    };
    let response = creation.finish(StatusCode::CREATED, None, &created).await?;
    ctx.committed();
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
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    Ok(HttpResponse::Ok().json(list_rows(&state.db, &filters, &page, grant).await?))
}

/// Get one interaction.
#[utoipa::path(tag = "interactions", params(("id" = Uuid, Path)),
    responses((status = 200, body = InteractionOut), (status = 404, body = crate::http::error::Problem)))]
#[get("/interactions/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCatalog)?;
    let grant = policy::require(&caller, Action::ReadCustomers)?;
    let row = interaction::Entity::find_by_id(*id)
        .filter(filters::of_visible_customer(
            interaction::Column::CustomerId,
        ))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("interaction"))?;
    Ok(HttpResponse::Ok().json(InteractionOut::new(row, grant)?))
}

/// The implicit-feedback weight of each interaction kind, as configured.
#[utoipa::path(tag = "interactions", responses((status = 200, body = crate::ml::weights::InteractionWeights)))]
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
