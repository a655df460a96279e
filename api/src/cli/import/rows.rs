//! Table rows turned into the domain's input fields, with line-numbered errors.

use chrono::{DateTime, Utc};
use rapport_core::dates::parse_timestamp;
use rapport_core::table::{Row, RowError};
use rapport_satisfaction::SurveyType;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::cli::files::{Fields, Resolved};
use crate::domain::customer::CustomerFields;
use crate::domain::interaction::{InteractionFields, SurveyFields};
use crate::domain::item::ItemFields;
use crate::domain::{InteractionKind, LifecycleStage};

/// Fields a customers file can map.
pub const CUSTOMER_FIELDS: Fields = Fields {
    names: &[
        "external_id",
        "name",
        "email",
        "phone",
        "company",
        "segment",
        "lifecycle_stage",
        "tags",
    ],
    attributes: true,
};
/// Fields an items file can map.
pub const ITEM_FIELDS: Fields = Fields {
    names: &[
        "sku",
        "name",
        "category",
        "description",
        "price",
        "tags",
        "active",
    ],
    attributes: true,
};
/// Fields an interactions file can map.
pub const INTERACTION_FIELDS: Fields = Fields {
    names: &[
        "customer",
        "customer_id",
        "item",
        "item_id",
        "kind",
        "value",
        "rating",
        "channel",
        "note",
        "occurred_at",
        "basket",
        "survey_type",
        "survey_score",
        "survey_question",
        "survey_comment",
    ],
    attributes: true,
};

fn text(row: &Row, map: &Resolved, field: &str) -> Option<String> {
    let (column, _) = map.field(field)?;
    let value = row.get(column).trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn fail(row: &Row, message: impl Into<String>) -> RowError {
    RowError {
        line: row.line,
        message: message.into(),
    }
}

/// A cell as an attribute value: a number when it reads as one, else text.
fn attribute(cell: &str) -> Option<Value> {
    let cell = cell.trim();
    if cell.is_empty() {
        return None;
    }
    if let Ok(n) = cell.parse::<i64>() {
        return Some(Value::from(n));
    }
    match cell.parse::<f64>() {
        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Value::Number),
        _ => Some(Value::String(cell.to_owned())),
    }
}

fn attributes(row: &Row, map: &Resolved) -> Map<String, Value> {
    map.attributes
        .iter()
        .filter_map(|(name, column)| attribute(row.get(*column)).map(|v| (name.clone(), v)))
        .collect()
}

fn tags(row: &Row, map: &Resolved) -> Vec<String> {
    let mut tags: Vec<String> = text(row, map, "tags")
        .map(|t| {
            t.split(['|', ';'])
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some((first, names)) = &map.tag_flags {
        for (i, name) in names.iter().enumerate() {
            if row.get(first + i).trim() == "1" {
                tags.push(name.clone());
            }
        }
    }
    tags
}

/// A customers row.
pub fn customer(row: &Row, map: &Resolved) -> Result<CustomerFields, RowError> {
    let external_id =
        text(row, map, "external_id").ok_or_else(|| fail(row, map.empty("external_id")))?;
    let lifecycle_stage = match text(row, map, "lifecycle_stage") {
        None => None,
        Some(stage) => Some(
            stage
                .to_lowercase()
                .parse::<LifecycleStage>()
                .map_err(|_| fail(row, format!("unknown lifecycle_stage `{stage}`")))?,
        ),
    };
    Ok(CustomerFields {
        name: text(row, map, "name").unwrap_or_else(|| external_id.clone()),
        email: text(row, map, "email"),
        phone: text(row, map, "phone"),
        company: text(row, map, "company"),
        external_id: Some(external_id),
        segment: text(row, map, "segment"),
        lifecycle_stage,
        owner_id: None,
        tags: tags(row, map),
        attributes: attributes(row, map),
    })
}

/// An items row; with tag flags the first flag is also the category.
pub fn item(row: &Row, map: &Resolved) -> Result<ItemFields, RowError> {
    let sku = text(row, map, "sku").ok_or_else(|| fail(row, map.empty("sku")))?;
    let price = match text(row, map, "price") {
        None => 0.0,
        Some(p) => p
            .parse()
            .map_err(|_| fail(row, format!("price `{p}` is not a number")))?,
    };
    let active = match text(row, map, "active").as_deref() {
        None => true,
        Some("1" | "true" | "yes" | "TRUE" | "Yes") => true,
        Some("0" | "false" | "no" | "FALSE" | "No") => false,
        Some(other) => return Err(fail(row, format!("active `{other}` is not a boolean"))),
    };
    let tags = tags(row, map);
    let category =
        text(row, map, "category").or_else(|| map.tag_flags.as_ref().and(tags.first().cloned()));
    Ok(ItemFields {
        name: text(row, map, "name").unwrap_or_else(|| sku.clone()),
        sku,
        category,
        tags,
        description: text(row, map, "description"),
        price,
        attributes: attributes(row, map),
        active,
    })
}

fn parse_kind(raw: &str) -> Option<InteractionKind> {
    raw.trim().to_lowercase().parse().ok()
}

/// An interactions row.
pub fn interaction(
    row: &Row,
    map: &Resolved,
    default_kind: InteractionKind,
) -> Result<InteractionFields, RowError> {
    let kind = match text(row, map, "kind") {
        None => default_kind,
        Some(k) => parse_kind(&k).ok_or_else(|| fail(row, format!("unknown kind `{k}`")))?,
    };
    let uuid = |field: &str| -> Result<Option<Uuid>, RowError> {
        text(row, map, field)
            .map(|v| {
                v.parse()
                    .map_err(|_| fail(row, format!("{field} `{v}` is not a UUID")))
            })
            .transpose()
    };
    let number = |field: &str| -> Result<Option<f64>, RowError> {
        text(row, map, field)
            .map(|v| {
                v.parse()
                    .map_err(|_| fail(row, format!("{field} `{v}` is not a number")))
            })
            .transpose()
    };
    let rating = number("rating")?.map(|r| r.round() as i16);
    let occurred_at: Option<DateTime<Utc>> = match map.field("occurred_at") {
        None => None,
        Some((column, format)) => {
            let raw = row.get(column);
            let secs =
                parse_timestamp(raw, format).map_err(|e| fail(row, format!("occurred_at: {e}")))?;
            Some(
                DateTime::from_timestamp(secs, 0)
                    .ok_or_else(|| fail(row, "occurred_at is out of range"))?,
            )
        }
    };
    let customer_id = uuid("customer_id")?;
    let customer_external_id = text(row, map, "customer");
    if customer_id.is_none() && customer_external_id.is_none() {
        let field = if map.field("customer_id").is_some() {
            "customer_id"
        } else {
            "customer"
        };
        return Err(fail(row, map.empty(field)));
    }
    Ok(InteractionFields {
        customer_id,
        customer_external_id,
        item_id: uuid("item_id")?,
        item_sku: text(row, map, "item"),
        kind,
        value: number("value")?,
        rating,
        channel: text(row, map, "channel"),
        note: text(row, map, "note"),
        occurred_at,
        basket_id: text(row, map, "basket"),
        exposure_id: None,
        survey: survey(row, map)?,
    })
}

/// A survey answer from the `survey_*` columns: type and score together, or neither.
fn survey(row: &Row, map: &Resolved) -> Result<Option<SurveyFields>, RowError> {
    let (kind, score) = match (
        text(row, map, "survey_type"),
        text(row, map, "survey_score"),
    ) {
        (None, None) => return Ok(None),
        (Some(kind), Some(score)) => (kind, score),
        _ => return Err(fail(row, "give survey_type and survey_score together")),
    };
    let kind: SurveyType =
        serde_json::from_value(serde_json::Value::String(kind.to_lowercase()))
            .map_err(|_| fail(row, format!("survey_type `{kind}` is not nps, csat or ces")))?;
    let score = score
        .parse()
        .map_err(|_| fail(row, format!("survey_score `{score}` is not an integer")))?;
    Ok(Some(SurveyFields {
        kind,
        score,
        question: text(row, map, "survey_question"),
        comment: text(row, map, "survey_comment"),
    }))
}

/// The default interaction kind named on the command line.
pub fn kind(raw: &str) -> Result<InteractionKind, anyhow::Error> {
    parse_kind(raw).ok_or_else(|| anyhow::anyhow!("--interaction-kind `{raw}` is not a kind"))
}
