//! Plain data handed to engines: the interaction log and item metadata.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::EngineError;

/// One interaction between a customer and an item, both as dense indices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// Dense customer index.
    pub customer: u32,
    /// Dense item index.
    pub item: u32,
    /// Strength of the interaction (1.0 for plain implicit feedback).
    pub weight: f32,
    /// When it happened, unix seconds.
    pub timestamp: i64,
    /// Dense index of the order or basket it belongs to, when known.
    #[serde(default)]
    pub basket: Option<u32>,
}

/// Descriptive data about an item, used by content-based engines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemMeta {
    /// Display name.
    pub name: String,
    /// Free text description.
    pub description: String,
    /// Optional single category.
    pub category: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Other attributes, name to value.
    pub attributes: BTreeMap<String, String>,
}

/// Everything an engine is fitted on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Number of customers; every `Interaction::customer` is below it.
    pub n_customers: usize,
    /// Number of items; every `Interaction::item` is below it.
    pub n_items: usize,
    /// The interaction log, in any order.
    pub interactions: Vec<Interaction>,
    /// Metadata per item index; empty when none is known, else `n_items` long.
    pub items: Vec<ItemMeta>,
}

impl Dataset {
    /// Checks that indices are in range, weights finite and metadata sized.
    pub fn validate(&self) -> Result<(), EngineError> {
        if self.n_customers > u32::MAX as usize || self.n_items > u32::MAX as usize {
            return Err(EngineError::InvalidData(
                "more than 2^32 customers or items".into(),
            ));
        }
        if !self.items.is_empty() && self.items.len() != self.n_items {
            return Err(EngineError::InvalidData(format!(
                "{} item metadata records for {} items",
                self.items.len(),
                self.n_items
            )));
        }
        for (i, x) in self.interactions.iter().enumerate() {
            if x.customer as usize >= self.n_customers || x.item as usize >= self.n_items {
                return Err(EngineError::InvalidData(format!(
                    "interaction {i} names customer {} / item {} beyond {} customers / {} items",
                    x.customer, x.item, self.n_customers, self.n_items
                )));
            }
            if !x.weight.is_finite() {
                return Err(EngineError::InvalidData(format!(
                    "interaction {i} has a non-finite weight"
                )));
            }
        }
        Ok(())
    }
}

/// Weights given to each kind of implicit feedback when building a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindWeights {
    weights: BTreeMap<String, f32>,
    default: f32,
}

impl Default for KindWeights {
    /// Views and clicks count 1, carts 2, purchases 4, ratings 1, returns -2;
    /// other kinds (support tickets, calls ...) say nothing about taste and count 0.
    fn default() -> Self {
        let weights = [
            ("view", 1.0),
            ("click", 1.0),
            ("cart", 2.0),
            ("purchase", 4.0),
            ("rating", 1.0),
            ("return", -2.0),
        ]
        .into_iter()
        .map(|(k, w)| (k.to_owned(), w))
        .collect();
        Self {
            weights,
            default: 0.0,
        }
    }
}

impl KindWeights {
    /// Weights from explicit pairs; kinds not listed get `default`.
    pub fn new(pairs: impl IntoIterator<Item = (String, f32)>, default: f32) -> Self {
        Self {
            weights: pairs.into_iter().collect(),
            default,
        }
    }

    /// The weight of one kind.
    pub fn weight(&self, kind: &str) -> f32 {
        self.weights.get(kind).copied().unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(customer: u32, item: u32) -> Interaction {
        Interaction {
            customer,
            item,
            weight: 1.0,
            timestamp: 0,
            basket: None,
        }
    }

    #[test]
    fn validate_refuses_out_of_range_indices() {
        let data = Dataset {
            n_customers: 1,
            n_items: 2,
            interactions: vec![log(0, 1), log(0, 2)],
            items: vec![],
        };
        assert!(matches!(data.validate(), Err(EngineError::InvalidData(_))));
    }

    #[test]
    fn validate_refuses_wrongly_sized_metadata() {
        let data = Dataset {
            n_customers: 1,
            n_items: 2,
            interactions: vec![log(0, 1)],
            items: vec![ItemMeta::default()],
        };
        assert!(data.validate().is_err());
    }

    #[test]
    fn kind_weights_fall_back_to_default() {
        let w = KindWeights::default();
        assert_eq!(w.weight("purchase"), 4.0);
        assert_eq!(w.weight("support_ticket"), 0.0);
        let custom = KindWeights::new([("view".to_owned(), 0.5)], 1.0);
        assert_eq!(custom.weight("view"), 0.5);
        assert_eq!(custom.weight("other"), 1.0);
    }
}
