//! Segments' use cases: applying an activated segmentation (the segments
//! table, each customer's `segment_id`, the history of changes, the
//! `customer.segment_changed` events and the "customer enters segment"
//! automations, in the activation's transaction), renaming a segment, and
//! placing customers on demand.

use std::collections::HashMap;

use chrono::Utc;
use rapport_segments::SegmentModel;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::audit::{self, Event};
use super::{Context, automations, outbox};
use crate::domain::event::{EventPayload, SegmentChanged};
use crate::domain::precondition::IfMatch;
use crate::domain::validation::{Checks, SHORT_TEXT};
use crate::domain::{DomainError, ErrorCode};
use crate::entities::{customer, model_blob, segment, segment_change};
use crate::ml::segmentation;

/// Rows per statement.
const CHUNK: usize = 500;

/// Makes the segmentation `model_id` the one customers carry: its
/// segments replace the table's (names kept for ids it keeps), and each
/// customer it placed gets its segment; customers it did not place lose
/// theirs. Runs inside the activation's transaction.
pub async fn apply_activation(
    txn: &DatabaseTransaction,
    model_id: Uuid,
) -> Result<(), DomainError> {
    let blob = model_blob::Entity::find_by_id(model_id)
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("model {model_id} has no stored bytes"))?;
    let (assignments, model) = segmentation::decode(&blob.bytes)?;
    write_segments(txn, model_id, &model).await?;
    let placed: HashMap<Uuid, Option<i32>> = assignments
        .into_iter()
        .map(|(c, s)| (c, Some(s as i32)))
        .collect();
    let current: Vec<(Uuid, Option<i32>)> = customer::Entity::find()
        .select_only()
        .columns([customer::Column::Id, customer::Column::SegmentId])
        .filter(customer::Column::DeletedAt.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    let changes: Vec<(Uuid, Option<i32>, Option<i32>)> = current
        .into_iter()
        .filter_map(|(id, before)| {
            let after = placed.get(&id).copied().flatten();
            (before != after).then_some((id, before, after))
        })
        .collect();
    record_changes(txn, model_id, &changes).await
}

/// Replaces the segments table with the model's segments, keeping the
/// names of the ids it keeps.
async fn write_segments(
    txn: &DatabaseTransaction,
    model_id: Uuid,
    model: &SegmentModel,
) -> Result<(), DomainError> {
    let ids: Vec<i32> = model.segments.iter().map(|s| s.id as i32).collect();
    segment::Entity::delete_many()
        .filter(segment::Column::Id.is_not_in(ids))
        .exec(txn)
        .await?;
    let now = Utc::now();
    for s in &model.segments {
        let centre: serde_json::Map<String, serde_json::Value> = model
            .feature_names
            .iter()
            .cloned()
            .zip(s.centre.iter().map(|&x| json!(x)))
            .collect();
        let row = segment::ActiveModel {
            id: Set(s.id as i32),
            name: Set(None),
            model_id: Set(model_id),
            size: Set(s.size as i64),
            profile: Set(serde_json::to_value(&s.profile).map_err(anyhow::Error::from)?),
            centre: Set(serde_json::Value::Object(centre)),
            version: Set(1),
            updated_at: Set(now),
        };
        use segment::Column;
        segment::Entity::insert(row)
            .on_conflict(
                OnConflict::column(Column::Id)
                    .update_columns([
                        Column::ModelId,
                        Column::Size,
                        Column::Profile,
                        Column::Centre,
                        Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Sets the new segment of each changed customer, records the history,
/// emits `customer.segment_changed` and runs the segment automations.
async fn record_changes(
    txn: &DatabaseTransaction,
    model_id: Uuid,
    changes: &[(Uuid, Option<i32>, Option<i32>)],
) -> Result<(), DomainError> {
    let mut by_target: HashMap<Option<i32>, Vec<Uuid>> = HashMap::new();
    for (id, _, after) in changes {
        by_target.entry(*after).or_default().push(*id);
    }
    for (target, ids) in &by_target {
        for chunk in ids.chunks(CHUNK) {
            customer::Entity::update_many()
                .col_expr(customer::Column::SegmentId, Expr::value(*target))
                .filter(customer::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
    }
    let now = Utc::now();
    let rows: Vec<segment_change::ActiveModel> = changes
        .iter()
        .map(|(id, before, after)| {
            segment_change::ActiveModel::from(segment_change::Model {
                id: Uuid::now_v7(),
                customer_id: *id,
                from_segment: *before,
                to_segment: *after,
                model_id: Some(model_id),
                changed_at: now,
            })
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        segment_change::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    let events: Vec<EventPayload> = changes
        .iter()
        .map(|(id, before, after)| {
            EventPayload::SegmentChanged(SegmentChanged {
                customer_id: *id,
                from_segment: *before,
                to_segment: *after,
                model_id,
            })
        })
        .collect();
    outbox::emit_many(txn, &events).await?;
    let entered: Vec<(Uuid, i32)> = changes
        .iter()
        .filter_map(|(id, _, after)| after.map(|s| (*id, s)))
        .collect();
    automations::on_segment_entered(txn, &entered).await
}

/// Renames segment `id` (`None` clears the name), if its version is still `expected`.
pub async fn rename(
    ctx: &Context<'_>,
    id: i32,
    name: Option<String>,
    expected: &IfMatch,
) -> Result<segment::Model, DomainError> {
    let mut checks = Checks::default();
    checks.opt_text("name", name.as_deref(), SHORT_TEXT);
    checks.finish()?;
    let txn = ctx.begin().await?;
    let current = segment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("segment"))?;
    expected.check(current.version)?;
    let changes = segment::ActiveModel {
        name: Set(name.clone()),
        version: Set(current.version + 1),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    super::records::update_if_version::<segment::Entity, _>(
        &txn,
        changes,
        (segment::Column::Id, id),
        (segment::Column::Version, current.version),
    )
    .await?;
    let event = Event::new("segment.rename", "segment", None)
        .with_changes(json!({"id": id, "name": [current.name, name]}));
    audit::record(&txn, &ctx.actor, event).await?;
    let row = segment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("segment"))?;
    ctx.commit(txn).await?;
    Ok(row)
}

/// Places `only` (or, when `None`, every live customer without a segment)
/// under the active segmentation, as of now; returns how many customers
/// were placed and how many changed segment.
pub async fn assign(
    ctx: &Context<'_>,
    only: Option<&[Uuid]>,
) -> Result<(usize, usize), DomainError> {
    let Some((model_id, model)) = segmentation::active_model(ctx.db).await? else {
        return Err(DomainError::conflict(
            ErrorCode::NoActiveModel,
            "no segmentation is active; train and activate `segments`",
        ));
    };
    let mut query = customer::Entity::find().filter(customer::Column::DeletedAt.is_null());
    query = match only {
        Some(ids) => query.filter(customer::Column::Id.is_in(ids.iter().copied())),
        None => query.filter(customer::Column::SegmentId.is_null()),
    };
    let customers = query.all(ctx.db).await?;
    let placed = segmentation::assign(ctx.db, &model, &customers).await?;
    let before: HashMap<Uuid, Option<i32>> =
        customers.iter().map(|c| (c.id, c.segment_id)).collect();
    let changes: Vec<(Uuid, Option<i32>, Option<i32>)> = placed
        .iter()
        .filter_map(|(id, s)| {
            let was = before.get(id).copied().flatten();
            (was != Some(*s as i32)).then_some((*id, was, Some(*s as i32)))
        })
        .collect();
    let txn = ctx.begin().await?;
    record_changes(&txn, model_id, &changes).await?;
    let event = Event::new("segment.assign", "segment", None)
        .with_changes(json!({"placed": placed.len(), "changed": changes.len()}));
    audit::record(&txn, &ctx.actor, event).await?;
    ctx.commit(txn).await?;
    Ok((placed.len(), changes.len()))
}
