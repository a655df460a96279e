//! Items: the fields a writer gives, their rules, how a change merges into
//! a record, and the record as services pass it on.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::DomainError;
use super::validation::{Checks, LONG_TEXT, SHORT_TEXT, normalise_tags};

/// Every writable field of an item, as given (not yet validated).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFields {
    /// Stock-keeping unit, unique.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Non-negative price.
    pub price: f64,
    /// Flat object of numbers, strings and booleans.
    pub attributes: Map<String, Value>,
    /// Inactive items are never recommended.
    pub active: bool,
}

/// An item that meets every rule: what services write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem(ItemFields);

impl TryFrom<ItemFields> for NewItem {
    type Error = DomainError;

    fn try_from(mut fields: ItemFields) -> Result<Self, DomainError> {
        let mut checks = Checks::default();
        checks.text("sku", &fields.sku, SHORT_TEXT);
        checks.text("name", &fields.name, SHORT_TEXT);
        checks.opt_text("category", fields.category.as_deref(), 100);
        checks.opt_text("description", fields.description.as_deref(), LONG_TEXT);
        if !fields.price.is_finite() || fields.price < 0.0 {
            checks.fail("price", "must be a non-negative number");
        }
        checks.tags("tags", &fields.tags);
        checks.attributes("attributes", &fields.attributes);
        checks.finish()?;
        fields.tags = normalise_tags(&fields.tags);
        Ok(Self(fields))
    }
}

impl NewItem {
    /// The validated fields.
    pub fn fields(&self) -> &ItemFields {
        &self.0
    }
}

/// Fields to change: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemChanges {
    /// New SKU.
    pub sku: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New or cleared category.
    pub category: Option<Option<String>>,
    /// Replacement tags.
    pub tags: Option<Vec<String>>,
    /// New or cleared description.
    pub description: Option<Option<String>>,
    /// New price.
    pub price: Option<f64>,
    /// Replacement attributes.
    pub attributes: Option<Map<String, Value>>,
    /// New active flag.
    pub active: Option<bool>,
}

impl ItemChanges {
    /// The fields of `current` with these changes applied.
    pub fn apply(self, current: &ItemRecord) -> ItemFields {
        ItemFields {
            sku: self.sku.unwrap_or_else(|| current.sku.clone()),
            name: self.name.unwrap_or_else(|| current.name.clone()),
            category: self.category.unwrap_or_else(|| current.category.clone()),
            tags: self.tags.unwrap_or_else(|| current.tags.clone()),
            description: self
                .description
                .unwrap_or_else(|| current.description.clone()),
            price: self.price.unwrap_or(current.price),
            attributes: self
                .attributes
                .unwrap_or_else(|| current.attributes.clone()),
            active: self.active.unwrap_or(current.active),
        }
    }
}

/// A stored item, with its stored values parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRecord {
    /// Id.
    pub id: Uuid,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Price.
    pub price: f64,
    /// Attributes.
    pub attributes: Map<String, Value>,
    /// Whether it may be recommended.
    pub active: bool,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_price_is_refused() {
        let fields = ItemFields {
            sku: "S".into(),
            name: "N".into(),
            category: None,
            tags: vec![],
            description: None,
            price: -1.0,
            attributes: Map::new(),
            active: true,
        };
        let Err(DomainError::Invalid(errors)) = NewItem::try_from(fields) else {
            panic!("accepted")
        };
        assert_eq!(errors[0].field, "price");
    }
}
