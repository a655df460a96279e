//! The segmentation engine on the database's data: RFM from the
//! interaction log (kinds of the `kinds` parameter) or chosen customer
//! columns, fitted with the ids of the active segmentation kept where
//! centres match; and the segment of given customers under a fitted model.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use rapport_core::Params;
use rapport_engines::{Segments, registry};
use rapport_segments::{RfmRecord, SegmentError, SegmentModel, SegmentParams, rfm_table};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::data::{self, DataStats};
use super::stored::StoredModel;
use super::train::TrainError;
use crate::entities::{customer, interaction, model, model_blob};

/// Training outcome: data figures, metrics and the stored bytes.
pub type Outcome = (DataStats, Value, Vec<u8>);

fn failed(e: SegmentError) -> TrainError {
    if e.is_caller_error() {
        TrainError::Refused(e.to_string())
    } else {
        TrainError::Internal(anyhow::Error::new(e))
    }
}

/// Purchases (or the given kinds) of live customers as RFM records, with
/// the figures of the data read.
async fn rfm_records(
    db: &DatabaseConnection,
    kinds: &[String],
    only: Option<&[Uuid]>,
) -> Result<(Vec<RfmRecord<Uuid>>, DataStats), anyhow::Error> {
    let live: HashSet<Uuid> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .filter(customer::Column::DeletedAt.is_null())
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut query = interaction::Entity::find()
        .select_only()
        .columns([
            interaction::Column::CustomerId,
            interaction::Column::OccurredAt,
            interaction::Column::Value,
            interaction::Column::BasketId,
        ])
        .filter(interaction::Column::Kind.is_in(kinds.iter().cloned()));
    if let Some(ids) = only {
        query = query.filter(interaction::Column::CustomerId.is_in(ids.iter().copied()));
    }
    let mut stream = query
        .into_tuple::<(Uuid, DateTime<Utc>, Option<f64>, Option<String>)>()
        .stream(db)
        .await?;
    let mut records = Vec::new();
    let mut stats = DataStats::default();
    while let Some((customer, at, value, basket)) = stream.try_next().await? {
        if live.contains(&customer) {
            stats.see(at);
            records.push(RfmRecord::at(customer, at, value.unwrap_or(0.0), basket));
        }
    }
    Ok((records, stats))
}

/// The active segmentation model, if any.
pub async fn active_model(
    db: &DatabaseConnection,
) -> Result<Option<(Uuid, SegmentModel)>, anyhow::Error> {
    let Some(row) = model::Entity::find()
        .filter(model::Column::Engine.eq(Segments::NAME))
        .filter(model::Column::Active.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(blob) = model_blob::Entity::find_by_id(row.id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some((row.id, decode(&blob.bytes)?.1)))
}

/// The customers a stored segmentation saw with their segment ids, and the model.
pub fn decode(bytes: &[u8]) -> Result<(Vec<(Uuid, u32)>, SegmentModel), anyhow::Error> {
    match StoredModel::from_bytes(bytes)? {
        StoredModel::Segmenter {
            assignments,
            engine_bytes,
        } => Ok((
            assignments,
            registry().segmenter().from_bytes(&engine_bytes)?,
        )),
        _ => Err(anyhow::anyhow!("the stored model is not a segmentation")),
    }
}

/// Fits the segmentation on the database's data.
pub async fn train(
    db: &DatabaseConnection,
    params: &Params,
    progress: &(dyn Fn(f64, &str) + Sync),
) -> Result<Outcome, TrainError> {
    let settings = SegmentParams::resolve(params).map_err(failed)?;
    let previous = active_model(db)
        .await?
        .map(|(_, model)| model.centres())
        .unwrap_or_default();
    let params = params.clone();
    let segments = registry().segmenter();
    let now = Utc::now().timestamp();
    let (customers, fit, stats) = if settings.features == rapport_segments::FeatureChoice::Rfm {
        let (records, mut stats) = rfm_records(db, &settings.kinds, None).await?;
        progress(0.3, "clustering");
        let fitted = tokio::task::spawn_blocking(move || {
            segments.fit_rfm(&records, Some(now), &params, &previous)
        })
        .await
        .map_err(|e| anyhow::anyhow!("training task: {e}"))?
        .map_err(failed)?;
        stats.customers = fitted.table.customers.len();
        (fitted.table.customers, fitted.fit, stats)
    } else {
        let customers = data::live_customers(db).await?;
        let (events, mut stats) = data::customer_events(db, None).await?;
        stats.customers = customers.len();
        let rows = data::feature_rows(&customers, &events, now);
        let frame = data::frame(rows).map_err(TrainError::Refused)?;
        progress(0.3, "clustering");
        let fit =
            tokio::task::spawn_blocking(move || segments.fit_columns(&frame, &params, &previous))
                .await
                .map_err(|e| anyhow::anyhow!("training task: {e}"))?
                .map_err(failed)?;
        (customers.into_iter().map(|c| c.id).collect(), fit, stats)
    };
    progress(0.9, "storing");
    let metrics = metrics(&fit.model);
    let stored = StoredModel::Segmenter {
        assignments: customers.into_iter().zip(fit.labels).collect(),
        engine_bytes: segments.to_bytes(&fit.model).map_err(failed)?,
    };
    Ok((stats, metrics, stored.to_bytes()?))
}

/// The model's figures as shown on `GET /models/{id}`: the chosen k, per k
/// inertia, silhouette, sizes and fit time, and every segment's profile.
fn metrics(model: &SegmentModel) -> Value {
    let per_k: Vec<Value> = model
        .per_k
        .iter()
        .map(|r| {
            json!({"k": r.k, "inertia": r.inertia, "silhouette": r.silhouette, "sizes": r.sizes,
                   "iterations": r.iterations, "fit_seconds": r.fit_seconds})
        })
        .collect();
    let segments: Vec<Value> = model
        .segments
        .iter()
        .map(|s| json!({"id": s.id, "size": s.size, "profile": s.profile.summary}))
        .collect();
    let chosen = model.chosen();
    json!({
        "k": model.k,
        "customers": model.rows,
        "features": model.feature_names,
        "inertia": chosen.map(|r| r.inertia),
        "silhouette": chosen.and_then(|r| r.silhouette),
        "per_k": per_k,
        "segments": segments,
    })
}

/// The segment of each of `customers` under `model`, from their data as of
/// now; customers with nothing to place them by (no interaction of the
/// model's kinds) are left out.
pub async fn assign(
    db: &DatabaseConnection,
    model: &SegmentModel,
    customers: &[customer::Model],
) -> Result<Vec<(Uuid, u32)>, anyhow::Error> {
    let ids: Vec<Uuid> = customers.iter().map(|c| c.id).collect();
    let now = Utc::now().timestamp();
    let mut placed = Vec::with_capacity(ids.len());
    match &model.features {
        rapport_segments::Features::Rfm => {
            for chunk in ids.chunks(500) {
                let (records, _) = rfm_records(db, &model.params.kinds, Some(chunk)).await?;
                if records.is_empty() {
                    continue;
                }
                let table = rfm_table(&records, Some(now))?;
                for (id, rfm) in table.customers.iter().zip(&table.rfm) {
                    placed.push((*id, model.assign_rfm(rfm)?.segment_id));
                }
            }
        }
        rapport_segments::Features::Columns(_) => {
            for chunk in customers.chunks(500) {
                let ids: Vec<Uuid> = chunk.iter().map(|c| c.id).collect();
                let (events, _) = data::customer_events(db, Some(&ids)).await?;
                let rows = data::feature_rows(chunk, &events, now);
                for (c, row) in chunk.iter().zip(&rows) {
                    placed.push((c.id, model.assign_row(row)?.segment_id));
                }
            }
        }
    }
    Ok(placed)
}
