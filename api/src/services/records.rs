//! The one boundary between stored rows and domain records: rows are parsed
//! with checked conversions (an unreadable stored value is an internal
//! error with context, never a silent default), and validated domain inputs
//! become the columns to write.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::customer::{CustomerRecord, NewCustomer};
use crate::domain::interaction::{InteractionRecord, Survey};
use crate::domain::item::{ItemRecord, NewItem};
use crate::domain::validation::tag_index;
use crate::domain::{DomainError, StringEnum};
use crate::entities::{customer, interaction, item};
use rapport_satisfaction::{Answer, SurveyType};

/// A stored enum value, parsed; `what` names the column in the error.
pub fn stored<T: StringEnum>(what: &str, raw: &str) -> Result<T, DomainError> {
    T::parse(raw).map_err(|e| DomainError::corrupt(what, e))
}

/// Stored tags: a JSON array of strings.
pub fn stored_tags(what: &str, raw: &Value) -> Result<Vec<String>, DomainError> {
    serde_json::from_value(raw.clone()).map_err(|e| {
        DomainError::Internal(
            anyhow::Error::new(e).context(format!("stored {what} are unreadable")),
        )
    })
}

/// Stored attributes: a JSON object.
fn stored_attributes(what: &str, raw: &Value) -> Result<Map<String, Value>, DomainError> {
    match raw {
        Value::Object(map) => Ok(map.clone()),
        other => Err(DomainError::Internal(anyhow::anyhow!(
            "stored {what} are not an object: {other}"
        ))),
    }
}

/// A customer row as a record.
pub fn customer(row: &customer::Model) -> Result<CustomerRecord, DomainError> {
    Ok(CustomerRecord {
        id: row.id,
        external_id: row.external_id.clone(),
        name: row.name.clone(),
        email: row.email.clone(),
        phone: row.phone.clone(),
        company: row.company.clone(),
        segment: row.segment.clone(),
        segment_id: row.segment_id,
        lifecycle_stage: stored("customer lifecycle_stage", &row.lifecycle_stage)?,
        owner_id: row.owner_id,
        tags: stored_tags("customer tags", &row.tags)?,
        attributes: stored_attributes("customer attributes", &row.attributes)?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Every writable column of a customer from validated input.
pub fn customer_columns(new: &NewCustomer) -> customer::ActiveModel {
    let f = new.fields();
    customer::ActiveModel {
        external_id: Set(f.external_id.clone()),
        name: Set(f.name.clone()),
        email: Set(f.email.clone()),
        phone: Set(f.phone.clone()),
        company: Set(f.company.clone()),
        segment: Set(f.segment.clone()),
        lifecycle_stage: Set(new.lifecycle_stage().as_str().to_owned()),
        owner_id: Set(f.owner_id),
        tag_index: Set(tag_index(&f.tags)),
        tags: Set(Value::from(f.tags.clone())),
        attributes: Set(Value::Object(f.attributes.clone())),
        ..Default::default()
    }
}

/// A customer row to insert: every column, a fresh UUIDv7, version 1 and
/// both timestamps `now`.
pub fn new_customer_row(new: &NewCustomer, now: DateTime<Utc>) -> customer::ActiveModel {
    let mut row = customer_columns(new);
    row.id = Set(Uuid::now_v7());
    row.version = Set(1);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    row
}

/// An item row as a record.
pub fn item(row: &item::Model) -> Result<ItemRecord, DomainError> {
    Ok(ItemRecord {
        id: row.id,
        sku: row.sku.clone(),
        name: row.name.clone(),
        category: row.category.clone(),
        tags: stored_tags("item tags", &row.tags)?,
        description: row.description.clone(),
        price: row.price,
        attributes: stored_attributes("item attributes", &row.attributes)?,
        active: row.active,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Every writable column of an item from validated input.
pub fn item_columns(new: &NewItem) -> item::ActiveModel {
    let f = new.fields();
    item::ActiveModel {
        sku: Set(f.sku.clone()),
        name: Set(f.name.clone()),
        category: Set(f.category.clone()),
        tag_index: Set(tag_index(&f.tags)),
        tags: Set(Value::from(f.tags.clone())),
        description: Set(f.description.clone()),
        price: Set(f.price),
        attributes: Set(Value::Object(f.attributes.clone())),
        active: Set(f.active),
        ..Default::default()
    }
}

/// An item row to insert: every column, a fresh UUIDv7, version 1 and
/// both timestamps `now`.
pub fn new_item_row(new: &NewItem, now: DateTime<Utc>) -> item::ActiveModel {
    let mut row = item_columns(new);
    row.id = Set(Uuid::now_v7());
    row.version = Set(1);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    row
}

/// An interaction row as a record.
pub fn interaction(row: &interaction::Model) -> Result<InteractionRecord, DomainError> {
    Ok(InteractionRecord {
        id: row.id,
        customer_id: row.customer_id,
        item_id: row.item_id,
        kind: stored("interaction kind", &row.kind)?,
        value: row.value,
        rating: row.rating,
        channel: row.channel.clone(),
        note: row.note.clone(),
        occurred_at: row.occurred_at,
        created_at: row.created_at,
        basket_id: row.basket_id.clone(),
        exposure_id: row.exposure_id,
        survey: survey(row)?,
    })
}

/// The survey answer a row holds, if any; a stored score off its scale is
/// an internal error, as every write checks it.
fn survey(row: &interaction::Model) -> Result<Option<Survey>, DomainError> {
    let (Some(kind), Some(score)) = (&row.survey_type, row.survey_score) else {
        return Ok(None);
    };
    let kind: SurveyType = serde_json::from_value(serde_json::Value::String(kind.clone()))
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored survey type: {e}")))?;
    let answer = Answer::new(kind, i64::from(score))
        .map_err(|e| DomainError::Internal(anyhow::anyhow!("stored survey answer: {e}")))?;
    Ok(Some(Survey {
        answer,
        question: row.survey_question.clone(),
        comment: row.survey_comment.clone(),
    }))
}

/// Applies `changes` to the row `id` only if its version is still `read_version`
/// (the caller sets the new version in `changes`); a concurrent writer that got
/// there first makes this fail with 412.
pub async fn update_if_version<E, C>(
    db: &C,
    changes: E::ActiveModel,
    (id_column, id): (E::Column, impl Into<sea_orm::Value>),
    (version_column, read_version): (E::Column, i32),
) -> Result<(), DomainError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let result = E::update_many()
        .set(changes)
        .filter(id_column.eq(id))
        .filter(version_column.eq(read_version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(stale())
    }
}

/// Deletes row `id` of `E` if it is still at `read_version`; a stale
/// version when another writer changed or deleted it first.
pub async fn delete_if_version<E, C>(
    db: &C,
    (id_column, id): (E::Column, impl Into<sea_orm::Value>),
    (version_column, read_version): (E::Column, i32),
) -> Result<(), DomainError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let result = E::delete_many()
        .filter(id_column.eq(id))
        .filter(version_column.eq(read_version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(stale())
    }
}

fn stale() -> DomainError {
    DomainError::StaleVersion(
        "the record was changed by another request; fetch it again".to_owned(),
    )
}

/// The end of an upsert by a natural key: `existing` (if any) checked
/// against `expected` and replaced by `replace`, else a new record made by
/// `create` in a transaction of its own; `true` when created.
pub async fn replace_or_create<M, R>(
    ctx: &super::Context<'_>,
    existing: Option<M>,
    version: impl Fn(&M) -> i32,
    expected: &crate::domain::IfMatch,
    replace: impl AsyncFnOnce(M) -> Result<R, DomainError>,
    create: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<R, DomainError>,
) -> Result<(R, bool), DomainError> {
    match existing {
        Some(current) => {
            expected.check(version(&current))?;
            Ok((replace(current).await?, false))
        }
        None => {
            let txn = ctx.begin().await?;
            let record = create(&txn).await?;
            ctx.commit(txn).await?;
            Ok((record, true))
        }
    }
}
