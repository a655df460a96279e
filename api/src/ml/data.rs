//! Training data read from the database in one streaming pass per table
//! (no query per customer), mapped to the engines' plain types.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use rapport_core::scoring::{
    BehaviourFeatures, BehaviourLabel, CustomerEvent, Frame, Value as Cell,
};
use rapport_core::{Dataset, Interaction, ItemMeta, KindWeights};
use rapport_satisfaction::SurveyType;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::entities::{customer, interaction, item};

/// Size and time span of the data a model was trained on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DataStats {
    pub customers: usize,
    pub items: usize,
    pub interactions: usize,
    pub first_interaction: Option<DateTime<Utc>>,
    pub last_interaction: Option<DateTime<Utc>>,
}

impl DataStats {
    /// Counts one interaction at `at`.
    pub fn see(&mut self, at: DateTime<Utc>) {
        self.interactions += 1;
        self.first_interaction = Some(self.first_interaction.map_or(at, |f| f.min(at)));
        self.last_interaction = Some(self.last_interaction.map_or(at, |l| l.max(at)));
    }
}

/// A recommender's training set plus the ids behind its dense indices.
pub struct RecommenderData {
    pub dataset: Dataset,
    /// Customer id of each customer index.
    pub customers: Vec<Uuid>,
    /// Item id of each item index.
    pub items: Vec<Uuid>,
    pub stats: DataStats,
    /// When reading began: interactions recorded later are not in the data.
    pub read_at: DateTime<Utc>,
}

/// Every item (with metadata) and every weighted item interaction (of
/// `kinds` only, when given), with basket ids as dense indices.
pub async fn recommender_data(
    db: &DatabaseConnection,
    weights: &KindWeights,
    kinds: Option<&[String]>,
) -> Result<RecommenderData, anyhow::Error> {
    let read_at = Utc::now();
    let mut items = Vec::new();
    let mut metas = Vec::new();
    let mut item_index: HashMap<Uuid, u32> = HashMap::new();
    let mut rows = item::Entity::find()
        .order_by_asc(item::Column::Id)
        .stream(db)
        .await?;
    while let Some(row) = rows.try_next().await? {
        item_index.insert(row.id, items.len() as u32);
        items.push(row.id);
        metas.push(item_meta(row));
    }
    drop(rows);

    let mut customers = Vec::new();
    let mut customer_index: HashMap<Uuid, u32> = HashMap::new();
    let mut interactions = Vec::new();
    let mut stats = DataStats::default();
    let mut basket_index: HashMap<String, u32> = HashMap::new();
    let mut query = interaction::Entity::find()
        .select_only()
        .columns([
            interaction::Column::CustomerId,
            interaction::Column::ItemId,
            interaction::Column::Kind,
            interaction::Column::OccurredAt,
            interaction::Column::BasketId,
        ])
        .filter(interaction::Column::ItemId.is_not_null());
    if let Some(kinds) = kinds {
        query = query.filter(interaction::Column::Kind.is_in(kinds.iter().cloned()));
    }
    let mut log = query
        .into_tuple::<(Uuid, Option<Uuid>, String, DateTime<Utc>, Option<String>)>()
        .stream(db)
        .await?;
    while let Some((customer_id, item_id, kind, at, basket_id)) = log.try_next().await? {
        let weight = weights.weight(&kind);
        let Some(&item) = item_id.as_ref().and_then(|id| item_index.get(id)) else {
            continue;
        };
        if weight == 0.0 {
            continue;
        }
        let customer = *customer_index.entry(customer_id).or_insert_with(|| {
            customers.push(customer_id);
            (customers.len() - 1) as u32
        });
        stats.see(at);
        let basket = basket_id.map(|id| {
            let next = basket_index.len() as u32;
            *basket_index.entry(id).or_insert(next)
        });
        interactions.push(Interaction {
            customer,
            item,
            weight,
            timestamp: at.timestamp(),
            basket,
        });
    }
    // The log grew by doubling: up to half its capacity is spare, and the
    // fits and the evaluation hold it beside their own copies.
    interactions.shrink_to_fit();
    stats.customers = customers.len();
    stats.items = items.len();
    Ok(RecommenderData {
        dataset: Dataset {
            n_customers: customers.len(),
            n_items: items.len(),
            interactions,
            items: metas,
        },
        customers,
        items,
        stats,
        read_at,
    })
}

fn item_meta(row: item::Model) -> ItemMeta {
    let attributes: BTreeMap<String, String> = match row.attributes {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect(),
        _ => BTreeMap::new(),
    };
    ItemMeta {
        name: row.name,
        description: row.description.unwrap_or_default(),
        category: row.category,
        tags: serde_json::from_value(row.tags).unwrap_or_default(),
        attributes,
    }
}

/// The scorer's feature row of one customer: attributes, segment, lifecycle
/// stage and behaviour features.
pub type FeatureRow = BTreeMap<String, Cell>;

/// A frame of `rows` with every column any row has (cells a row lacks are missing).
pub fn frame(rows: Vec<FeatureRow>) -> Result<Frame, String> {
    let mut columns: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
    columns.sort();
    columns.dedup();
    let cells = rows
        .into_iter()
        .map(|mut r| {
            columns
                .iter()
                .map(|c| r.remove(c).unwrap_or(Cell::Missing))
                .collect()
        })
        .collect();
    Frame::new(columns, cells).map_err(|e| e.to_string())
}

/// Converts a stored attribute value to a feature cell.
pub fn cell(value: &Value) -> Cell {
    match value {
        Value::Number(n) => n.as_f64().map_or(Cell::Missing, Cell::Number),
        Value::String(s) => Cell::from_cell(s),
        Value::Bool(b) => Cell::Bool(*b),
        Value::Null | Value::Array(_) | Value::Object(_) => Cell::Missing,
    }
}

/// Feature rows of `customers`, with behaviour computed from `events` as of `as_of`.
pub fn feature_rows(
    customers: &[customer::Model],
    events: &[CustomerEvent],
    as_of: i64,
) -> Vec<FeatureRow> {
    let behaviour = BehaviourFeatures::compute(events, as_of);
    let behaviour_columns = BehaviourFeatures::columns();
    customers
        .iter()
        .map(|c| {
            let mut row: FeatureRow = match &c.attributes {
                Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), cell(v))).collect(),
                _ => BTreeMap::new(),
            };
            row.insert(
                "segment".to_owned(),
                c.segment.as_deref().map_or(Cell::Missing, Cell::from_cell),
            );
            row.insert(
                "lifecycle_stage".to_owned(),
                Cell::from_cell(&c.lifecycle_stage),
            );
            let values = behaviour.for_customer(&c.id.to_string());
            row.extend(behaviour_columns.iter().cloned().zip(values));
            row
        })
        .collect()
}

/// The column of a stacked frame that holds each row's behaviour label.
pub const BEHAVIOUR_LABEL_COLUMN: &str = "__behaviour_label";

/// The point-in-time training rows of a behaviour label: for each of
/// `cutoffs` (newest first), the feature rows of the customers the label
/// applies to there, with behaviour as of the cutoff and their class
/// (`Yes`/`No`) in [`BEHAVIOUR_LABEL_COLUMN`]; and the index of each row's
/// cutoff. Attributes, segment and lifecycle stage are as they are now (the
/// service keeps no history of them): leave out any that follow the label.
pub fn behaviour_rows(
    customers: &[customer::Model],
    events: &[CustomerEvent],
    label: &BehaviourLabel,
    cutoffs: &[i64],
) -> (Vec<FeatureRow>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut row_cutoffs = Vec::new();
    for (c, &cutoff) in cutoffs.iter().enumerate() {
        let classes = label.classes_at(events, cutoff);
        let eligible: Vec<customer::Model> = customers
            .iter()
            .filter(|m| classes.contains_key(&m.id.to_string()))
            .cloned()
            .collect();
        for (customer, mut row) in eligible.iter().zip(feature_rows(&eligible, events, cutoff)) {
            let positive = classes.get(&customer.id.to_string()) == Some(&true);
            row.insert(
                BEHAVIOUR_LABEL_COLUMN.to_owned(),
                Cell::Text(if positive { "Yes" } else { "No" }.to_owned()),
            );
            rows.push(row);
            row_cutoffs.push(c);
        }
    }
    (rows, row_cutoffs)
}

/// Customer, kind, value, rating, survey type and score, time.
type EventColumns = (
    Uuid,
    String,
    Option<f64>,
    Option<i16>,
    Option<String>,
    Option<i16>,
    DateTime<Utc>,
);

/// The interaction log of some customers (all when `only` is `None`), as scorer events.
pub async fn customer_events(
    db: &DatabaseConnection,
    only: Option<&[Uuid]>,
) -> Result<(Vec<CustomerEvent>, DataStats), anyhow::Error> {
    let mut query = interaction::Entity::find().select_only().columns([
        interaction::Column::CustomerId,
        interaction::Column::Kind,
        interaction::Column::Value,
        interaction::Column::Rating,
        interaction::Column::SurveyType,
        interaction::Column::SurveyScore,
        interaction::Column::OccurredAt,
    ]);
    if let Some(ids) = only {
        query = query.filter(interaction::Column::CustomerId.is_in(ids.iter().copied()));
    }
    let mut stream = query.into_tuple::<EventColumns>().stream(db).await?;
    let mut events = Vec::new();
    let mut stats = DataStats::default();
    while let Some((customer, kind, value, rating, survey_type, survey_score, at)) =
        stream.try_next().await?
    {
        stats.see(at);
        events.push(CustomerEvent {
            customer: customer.to_string(),
            kind,
            value,
            rating: rating.and_then(|r| u8::try_from(r).ok()),
            nps: survey_score
                .filter(|_| survey_type.as_deref() == Some(SurveyType::Nps.as_str()))
                .and_then(|s| u8::try_from(s).ok()),
            occurred_at: at.timestamp(),
        });
    }
    Ok((events, stats))
}

/// Every live customer, in id order.
pub async fn live_customers(
    db: &DatabaseConnection,
) -> Result<Vec<customer::Model>, anyhow::Error> {
    Ok(customer::Entity::find()
        .filter(customer::Column::DeletedAt.is_null())
        .order_by_asc(customer::Column::Id)
        .all(db)
        .await?)
}
