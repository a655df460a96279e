//! Bought together and basket completion (the active `baskets` model's
//! association rules), and satisfaction (NPS, CSAT, CES) per customer and
//! per group from survey answers.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use rapport_baskets::{BasketsModel, Rule};
use rapport_satisfaction::{
    Answer, Row, Summary, SurveyType, change, group_by, month_key, rating_as_csat, trend,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Caller;
use crate::domain::DomainError;
use crate::entities::{customer, interaction};
use crate::http::error::ApiError;
use crate::ml::serving::{Loaded, LoadedRecommender};
use crate::policy::{self, Action};
use crate::state::AppState;

/// An item in a rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleItem {
    pub item_id: Uuid,
    pub sku: Option<String>,
    pub name: Option<String>,
}

/// An association rule A -> C with its exact counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    pub antecedent: Vec<RuleItem>,
    pub consequent: Vec<RuleItem>,
    /// n(A and C) / N.
    pub support: f64,
    /// n(A and C) / n(A).
    pub confidence: f64,
    /// n(A and C) N / (n(A) n(C)).
    pub lift: f64,
    /// Baskets holding A and C.
    pub baskets: u32,
    pub antecedent_baskets: u32,
    pub consequent_baskets: u32,
    pub total_baskets: u32,
}

/// The active baskets model of this replica.
fn baskets(state: &AppState) -> Result<std::sync::Arc<crate::ml::serving::ActiveModel>, ApiError> {
    let active = state.models.get("baskets").ok_or_else(|| {
        ApiError::from(DomainError::conflict(
            crate::domain::ErrorCode::NoActiveModel,
            "no baskets model is active; train and activate `baskets`",
        ))
    })?;
    Ok(active)
}

fn parts(
    active: &crate::ml::serving::ActiveModel,
) -> Result<(&LoadedRecommender, &BasketsModel), ApiError> {
    let Loaded::Recommender(r) = &active.loaded else {
        return Err(anyhow::anyhow!("model {} is not a recommender", active.id).into());
    };
    let model = r
        .model
        .concrete::<BasketsModel>()
        .ok_or_else(|| anyhow::anyhow!("model {} is not a baskets model", active.id))?;
    Ok((r, model))
}

fn rule_out(state: &AppState, r: &LoadedRecommender, rule: &Rule) -> RuleOut {
    let items = |ids: &[u32]| {
        ids.iter()
            .filter_map(|&i| r.items.get(i as usize))
            .map(|id| {
                let listed = state.models.listing.get(id);
                RuleItem {
                    item_id: *id,
                    sku: listed.as_ref().map(|l| l.sku.clone()),
                    name: listed.as_ref().map(|l| l.name.clone()),
                }
            })
            .collect()
    };
    RuleOut {
        antecedent: items(&rule.antecedent),
        consequent: items(&rule.consequent),
        support: rule.support(),
        confidence: rule.confidence(),
        lift: rule.lift(),
        baskets: rule.n_both,
        antecedent_baskets: rule.n_antecedent,
        consequent_baskets: rule.n_consequent,
        total_baskets: rule.n_baskets,
    }
}

/// How many.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KQuery {
    /// 1 to 100, default 10.
    pub k: Option<usize>,
}

/// Rules of an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    pub model_id: Uuid,
    pub data: Vec<RuleOut>,
}

fn k_of(k: Option<usize>) -> Result<usize, ApiError> {
    match k.unwrap_or(10) {
        k @ 1..=100 => Ok(k),
        _ => Err(DomainError::invalid("k", "must be between 1 and 100").into()),
    }
}

/// What is bought with an item: the rules with it as antecedent, ranked
/// by lift, then confidence.
#[utoipa::path(tag = "analytics", params(("id" = Uuid, Path), KQuery),
    responses((status = 200, body = RuleList), (status = 404, body = crate::http::error::Problem),
              (status = 409, body = crate::http::error::Problem)))]
#[get("/items/{id}/bought-together")]
async fn bought_together(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<KQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let k = k_of(query.k)?;
    if state.models.listing.get(&id).is_none() {
        return Err(ApiError::not_found("item"));
    }
    let active = baskets(&state)?;
    let (r, model) = parts(&active)?;
    let data = match r.item_index.get(&id) {
        Some(&i) => model
            .index
            .bought_together(i, k)
            .into_iter()
            .map(|rule| rule_out(&state, r, rule))
            .collect(),
        None => Vec::new(),
    };
    Ok(HttpResponse::Ok().json(RuleList {
        model_id: active.id,
        data,
    }))
}

/// A basket to complete.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BasketRequest {
    /// 1 to 100 items.
    pub item_ids: Vec<Uuid>,
    /// Suggestions wanted, 1 to 100 (default 10).
    pub k: Option<usize>,
}

/// One item to add, with the rules behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Completion {
    pub item: RuleItem,
    /// The best confidence among the rules that apply.
    pub score: f64,
    pub lift: f64,
    pub reasons: Vec<RuleOut>,
}

/// Items that complete a basket.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionList {
    pub model_id: Uuid,
    pub data: Vec<Completion>,
}

/// Items to add to a basket, each explained by the rules that suggest it.
#[utoipa::path(tag = "analytics", request_body = BasketRequest,
    responses((status = 200, body = CompletionList), (status = 409, body = crate::http::error::Problem),
              (status = 422, body = crate::http::error::Problem)))]
#[post("/baskets/complete")]
async fn complete(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<BasketRequest>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let k = k_of(body.k)?;
    if body.item_ids.is_empty() || body.item_ids.len() > 100 {
        return Err(DomainError::invalid("item_ids", "give 1 to 100 items").into());
    }
    let active = baskets(&state)?;
    let (r, model) = parts(&active)?;
    let basket: Vec<u32> = body
        .item_ids
        .iter()
        .filter_map(|id| r.item_index.get(id).copied())
        .collect();
    let data = model
        .index
        .complete(&basket, k, &basket)
        .into_iter()
        .filter_map(|s| {
            let item_id = *r.items.get(s.item as usize)?;
            let listed = state.models.listing.get(&item_id);
            let reasons = s
                .rules
                .iter()
                .filter_map(|&i| model.index.rules().get(i))
                .map(|rule| rule_out(&state, r, rule))
                .collect();
            Some(Completion {
                item: RuleItem {
                    item_id,
                    sku: listed.as_ref().map(|l| l.sku.clone()),
                    name: listed.as_ref().map(|l| l.name.clone()),
                },
                score: s.score,
                lift: s.lift,
                reasons,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(CompletionList {
        model_id: active.id,
        data,
    }))
}

/// A dated survey answer with what it is grouped by.
struct Answered {
    customer: Uuid,
    item: Option<Uuid>,
    channel: Option<String>,
    at: DateTime<Utc>,
    answer: Answer,
}

/// Survey answers (and ratings as CSAT, when asked) of visible customers
/// in `[from, to)`, or of one customer.
async fn answers(
    state: &AppState,
    customer_id: Option<Uuid>,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    include_ratings: bool,
) -> Result<Vec<Answered>, ApiError> {
    use interaction::Column;
    let mut kinds = Condition::any().add(Column::SurveyType.is_not_null());
    if include_ratings {
        kinds = kinds.add(Column::Kind.eq("rating"));
    }
    let mut query = interaction::Entity::find()
        .select_only()
        .columns([
            Column::CustomerId,
            Column::ItemId,
            Column::Channel,
            Column::OccurredAt,
        ])
        .columns([Column::SurveyType, Column::Kind])
        .columns([Column::SurveyScore, Column::Rating])
        .filter(kinds)
        .filter(super::filters::of_visible_customer(Column::CustomerId));
    if let Some(id) = customer_id {
        query = query.filter(Column::CustomerId.eq(id));
    }
    if let Some((from, to)) = window {
        query = query
            .filter(Column::OccurredAt.gte(from))
            .filter(Column::OccurredAt.lt(to));
    }
    type Tuple = (
        Uuid,
        Option<Uuid>,
        Option<String>,
        DateTime<Utc>,
        Option<String>,
        String,
        Option<i16>,
        Option<i16>,
    );
    let mut stream = query.into_tuple::<Tuple>().stream(&state.db).await?;
    let mut out = Vec::new();
    while let Some((customer, item, channel, at, survey_type, kind, score, rating)) =
        stream.try_next().await?
    {
        let answer = match (survey_type, score, rating) {
            (Some(t), Some(s), _) => {
                let t: SurveyType = serde_json::from_value(Value::String(t))
                    .map_err(|e| anyhow::anyhow!("stored survey type: {e}"))?;
                Answer::new(t, i64::from(s))
                    .map_err(|e| anyhow::anyhow!("stored survey answer: {e}"))?
            }
            (_, _, Some(r)) if kind == "rating" => {
                rating_as_csat(i64::from(r)).map_err(|e| anyhow::anyhow!("stored rating: {e}"))?
            }
            _ => continue,
        };
        out.push(Answered {
            customer,
            item,
            channel,
            at,
            answer,
        });
    }
    Ok(out)
}

/// Whether to count ratings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerSatisfactionQuery {
    /// Count `rating` interactions (1 to 5) as CSAT answers.
    pub include_ratings: Option<bool>,
}

/// A customer's satisfaction: the figures over all their answers, and the
/// latest answer and every answer per survey type.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerSatisfaction {
    pub customer_id: Uuid,
    #[schema(value_type = Object)]
    pub summary: Value,
    /// Latest and every answer, per type.
    #[schema(value_type = Object)]
    pub trend: Value,
}

/// One customer's NPS, CSAT and CES: latest answers and trend.
#[utoipa::path(tag = "analytics", params(("id" = Uuid, Path), CustomerSatisfactionQuery),
    responses((status = 200, body = CustomerSatisfaction), (status = 404, body = crate::http::error::Problem)))]
#[get("/customers/{id}/satisfaction")]
async fn of_customer(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<CustomerSatisfactionQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadCustomers)?;
    super::filters::live_customer(&state.db, *id).await?;
    let answered = answers(
        &state,
        Some(*id),
        None,
        query.include_ratings.unwrap_or(false),
    )
    .await?;
    let all: Vec<Answer> = answered.iter().map(|a| a.answer).collect();
    let body = CustomerSatisfaction {
        customer_id: *id,
        summary: serde_json::to_value(rapport_satisfaction::summarise(&all))
            .map_err(anyhow::Error::from)?,
        trend: serde_json::to_value(trend(answered.iter().map(|a| (a.at, a.answer))))
            .map_err(anyhow::Error::from)?,
    };
    Ok(HttpResponse::Ok().json(body))
}

/// What satisfaction is grouped by.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Segment,
    Item,
    Owner,
    Channel,
    Month,
}

/// The grouped satisfaction view's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SatisfactionQuery {
    /// Grouping; all answers form one group when absent.
    #[param(inline)]
    pub group_by: Option<GroupBy>,
    /// Start of the period (default: 90 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// End of the period, exclusive (default: now).
    pub to: Option<DateTime<Utc>>,
    /// Count `rating` interactions (1 to 5) as CSAT answers.
    pub include_ratings: Option<bool>,
}

/// One group's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionGroup {
    /// The group's key (segment id, item id, owner id, channel or `YYYY-MM`); `null` for answers without one.
    pub key: Option<String>,
    /// Answers in the period.
    pub responses: u64,
    /// NPS, CSAT and CES with 95 % intervals.
    #[schema(value_type = Object)]
    pub summary: Value,
    /// Current minus the previous period of the same length (not for `month`).
    #[schema(value_type = Object)]
    pub change: Value,
}

/// The grouped satisfaction view.
#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub data: Vec<SatisfactionGroup>,
}

fn responses(summary: &Summary) -> u64 {
    summary.nps.as_ref().map_or(0, |s| s.responses)
        + summary.csat.as_ref().map_or(0, |s| s.responses)
        + summary.ces.as_ref().map_or(0, |s| s.responses)
}

/// NPS, CSAT and mean CES per segment, item, owner, channel or month, with
/// 95 % intervals and the change against the previous period.
#[utoipa::path(tag = "analytics", params(SatisfactionQuery),
    responses((status = 200, body = SatisfactionReport), (status = 422, body = crate::http::error::Problem)))]
#[get("/satisfaction")]
async fn grouped(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<SatisfactionQuery>,
) -> Result<HttpResponse, ApiError> {
    policy::require(&caller, Action::ReadPredictions)?;
    let to = query.to.unwrap_or_else(Utc::now);
    let out_of_range = || DomainError::invalid("from", "is too far in the past");
    let from = match query.from {
        Some(from) => from,
        None => to
            .checked_sub_signed(Duration::days(90))
            .ok_or_else(out_of_range)?,
    };
    if from >= to {
        return Err(DomainError::invalid("from", "must be before `to`").into());
    }
    // The previous period, of the same length, for the change.
    let previous_from = from
        .checked_sub_signed(to - from)
        .ok_or_else(out_of_range)?;
    let answered = answers(
        &state,
        None,
        Some((previous_from, to)),
        query.include_ratings.unwrap_or(false),
    )
    .await?;
    let people: HashMap<Uuid, (Option<i32>, Option<Uuid>)> = match query.group_by {
        Some(GroupBy::Segment | GroupBy::Owner) => customer::Entity::find()
            .select_only()
            .columns([
                customer::Column::Id,
                customer::Column::SegmentId,
                customer::Column::OwnerId,
            ])
            .into_tuple::<(Uuid, Option<i32>, Option<Uuid>)>()
            .all(&state.db)
            .await?
            .into_iter()
            .map(|(id, s, o)| (id, (s, o)))
            .collect(),
        _ => HashMap::new(),
    };
    let key = |a: &Answered| -> Option<String> {
        match query.group_by {
            None => Some("all".to_owned()),
            Some(GroupBy::Segment) => people
                .get(&a.customer)
                .and_then(|p| p.0)
                .map(|s| s.to_string()),
            Some(GroupBy::Owner) => people
                .get(&a.customer)
                .and_then(|p| p.1)
                .map(|o| o.to_string()),
            Some(GroupBy::Item) => a.item.map(|i| i.to_string()),
            Some(GroupBy::Channel) => a.channel.clone(),
            Some(GroupBy::Month) => Some(month_key(a.at)),
        }
    };
    let rows = answered.iter().map(|a| Row {
        key: key(a),
        period: if a.at >= from { "current" } else { "previous" }.to_owned(),
        answer: a.answer,
    });
    let mut by_key: BTreeMap<Option<String>, (Summary, Summary)> = BTreeMap::new();
    for group in group_by(rows) {
        let entry = by_key.entry(group.key).or_default();
        if group.period == "current" {
            entry.0 = group.summary;
        } else {
            entry.1 = group.summary;
        }
    }
    let mut data = Vec::new();
    for (key, (current, previous)) in by_key {
        if responses(&current) == 0 {
            continue;
        }
        let moved = if matches!(query.group_by, Some(GroupBy::Month)) {
            Value::Null
        } else {
            serde_json::to_value(change(&current, &previous)).map_err(anyhow::Error::from)?
        };
        data.push(SatisfactionGroup {
            key,
            responses: responses(&current),
            summary: serde_json::to_value(&current).map_err(anyhow::Error::from)?,
            change: moved,
        });
    }
    Ok(HttpResponse::Ok().json(SatisfactionReport { from, to, data }))
}

/// Mounts the basket and satisfaction routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(bought_together)
        .service(complete)
        .service(of_customer)
        .service(grouped);
}
