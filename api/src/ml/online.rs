//! Online evaluation from the database: the exposures of a model or an
//! experiment, the interactions of the attributed kinds that may follow
//! them, last-touch attribution, and the figures of [`rapport_online`]
//! (per-interval metrics of a model, per-arm results of an experiment).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use rapport_online::{
    Action, Arm, Bucket, ExperimentResults, Exposure, Interval, attribute, experiment_results,
    online_metrics,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::experiment::ExperimentRecord;
use crate::domain::{DomainError, InteractionKind};
use crate::entities::{exposure, interaction};

/// The kind whose `value` is revenue.
const REVENUE_KIND: &str = "purchase";

/// How attribution is done.
#[derive(Debug, Clone)]
pub struct Attribution {
    /// How long after an exposure an interaction is attributed to it.
    pub window: Duration,
    /// The kinds attributed.
    pub kinds: Vec<InteractionKind>,
}

/// Which exposures to read.
pub struct ExposureFilter {
    pub model_id: Option<Uuid>,
    pub experiment_id: Option<Uuid>,
    pub placement: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The id list stored in an exposure's `items` or `impressions`.
pub fn ids(value: &serde_json::Value) -> Vec<Uuid> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// The exposures `filter` selects, oldest first, with their arms.
async fn exposures(
    db: &DatabaseConnection,
    filter: &ExposureFilter,
) -> Result<(Vec<Exposure>, Vec<Option<String>>), DomainError> {
    use exposure::Column as E;
    let mut query = exposure::Entity::find()
        .filter(E::CreatedAt.gte(filter.from))
        .filter(E::CreatedAt.lt(filter.to))
        .order_by_asc(E::CreatedAt)
        .order_by_asc(E::Id);
    if let Some(model) = filter.model_id {
        query = query.filter(E::ModelId.eq(model));
    }
    if let Some(experiment) = filter.experiment_id {
        query = query.filter(E::ExperimentId.eq(experiment));
    }
    if let Some(placement) = &filter.placement {
        query = query.filter(E::Placement.eq(placement.as_str()));
    }
    let mut rows = query.stream(db).await?;
    let (mut out, mut arms) = (Vec::new(), Vec::new());
    while let Some(row) = rows.try_next().await? {
        out.push(Exposure {
            id: row.id,
            customer: row.customer_id,
            items: ids(&row.items),
            shown: row.impressions.as_ref().map(ids),
            at: row.created_at,
        });
        arms.push(row.arm);
    }
    Ok((out, arms))
}

/// The interactions of the attributed kinds by the exposed customers on an
/// item, from the first exposure to a window past `to`.
async fn actions(
    db: &DatabaseConnection,
    exposed: &[Exposure],
    filter: &ExposureFilter,
    attribution: &Attribution,
) -> Result<Vec<Action>, DomainError> {
    use interaction::Column as I;
    let customers: HashSet<Uuid> = exposed.iter().filter_map(|x| x.customer).collect();
    let ids: HashSet<Uuid> = exposed.iter().map(|x| x.id).collect();
    if exposed.is_empty() {
        return Ok(Vec::new());
    }
    let kinds: Vec<&str> = attribution.kinds.iter().map(|k| k.as_str()).collect();
    let until = filter
        .to
        .checked_add_signed(attribution.window)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut rows = interaction::Entity::find()
        .filter(I::Kind.is_in(kinds))
        .filter(I::ItemId.is_not_null())
        .filter(I::OccurredAt.gte(filter.from))
        .filter(I::OccurredAt.lte(until))
        .stream(db)
        .await?;
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let explicit = row.exposure_id.filter(|id| ids.contains(id));
        let (Some(item), true) = (
            row.item_id,
            explicit.is_some() || customers.contains(&row.customer_id),
        ) else {
            continue;
        };
        out.push(Action {
            customer: row.customer_id,
            item,
            kind: row.kind,
            value: row.value,
            at: row.occurred_at,
            exposure: row.exposure_id,
        });
    }
    Ok(out)
}

/// The online metrics per `interval` of the exposures `filter` selects.
pub async fn model_metrics(
    db: &DatabaseConnection,
    filter: &ExposureFilter,
    attribution: &Attribution,
    interval: Interval,
) -> Result<Vec<Bucket>, DomainError> {
    let (exposed, _) = exposures(db, filter).await?;
    let acted = actions(db, &exposed, filter, attribution).await?;
    let attributed = attribute(&exposed, &acted, attribution.window);
    Ok(online_metrics(
        &exposed,
        &acted,
        &attributed,
        interval,
        REVENUE_KIND,
    ))
}

/// The results per arm of `experiment` from its start to `to`, with
/// `conversion` as the converting kind.
pub async fn results(
    db: &DatabaseConnection,
    experiment: &ExperimentRecord,
    to: DateTime<Utc>,
    attribution: &Attribution,
    conversion: &str,
) -> Result<ExperimentResults, DomainError> {
    let filter = ExposureFilter {
        model_id: None,
        experiment_id: Some(experiment.id),
        placement: None,
        from: experiment.starts_at,
        to,
    };
    let (exposed, arm_of) = exposures(db, &filter).await?;
    let acted = actions(db, &exposed, &filter, attribution).await?;
    let attributed = attribute(&exposed, &acted, attribution.window);
    let position: BTreeMap<&str, usize> = experiment
        .arms
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let mut by_arm = vec![Vec::new(); experiment.arms.len()];
    for (i, arm) in arm_of.iter().enumerate() {
        if let Some(&at) = arm.as_deref().and_then(|a| position.get(a)) {
            by_arm[at].push(i);
        }
    }
    let arms: Vec<Arm> = experiment
        .arms
        .iter()
        .map(|a| Arm::new(a.name.clone(), a.weight))
        .collect();
    Ok(experiment_results(
        &arms,
        &by_arm,
        &exposed,
        &acted,
        &attributed,
        conversion,
    ))
}
