//! The `baskets` engine behind the core [`Recommender`] trait: association
//! rules mined from the customers' baskets; a customer is recommended what
//! completes their latest basket.

use rapport_core::ranking::{MAX_REASONS, top_reasons};
use rapport_core::{
    DataNeed, Dataset, EngineDescription, EngineError, ParamSpec, ParamValues, Params,
    Recommendation, Recommender, Search,
};
use serde::{Deserialize, Serialize};

use crate::basket::{Record, baskets_by_customer, baskets_from_records};
use crate::fpgrowth::MiningConfig;
use crate::fraction::Fraction;
use crate::model::{RuleIndex, Suggestion};
use crate::rules::RuleConfig;
use crate::{BasketError, mine};

/// The baskets engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Baskets;

/// Figures of the mining run behind a model, for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MiningStats {
    /// N: baskets mined.
    pub n_baskets: u32,
    /// The support count threshold `ceil(min_support * N)` (at least 1).
    pub min_count: u32,
    /// Frequent itemsets by length: element `i` counts length `i + 1`.
    pub itemsets_by_size: Vec<usize>,
    /// Rules kept.
    pub n_rules: usize,
}

/// A fitted baskets model: the ranked rules, indexed, and each customer's
/// latest basket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasketsModel {
    /// The rules and their serving indexes.
    pub index: RuleIndex,
    /// The mining run's figures.
    pub stats: MiningStats,
    /// Per customer, the items of their latest basket (CSR).
    latest_start: Vec<u32>,
    latest_items: Vec<u32>,
}

impl BasketsModel {
    /// The items of `customer`'s latest basket; an error for an unknown customer.
    pub fn latest_basket(&self, customer: u32) -> Result<&[u32], EngineError> {
        let c = customer as usize;
        match (self.latest_start.get(c), self.latest_start.get(c + 1)) {
            (Some(&a), Some(&b)) => {
                Ok(self.latest_items.get(a as usize..b as usize).unwrap_or(&[]))
            }
            _ => Err(EngineError::UnknownCustomer(customer)),
        }
    }
}

/// The exact value of a fraction parameter, read from its text (not from
/// the `f64` the spec parses, which would turn 0.8 into slightly more than 4/5).
pub fn exact_param(
    params: &Params,
    specs: &[ParamSpec],
    name: &str,
) -> Result<Fraction, EngineError> {
    let raw = params
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .or_else(|| {
            specs
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.default.clone())
        })
        .ok_or_else(|| EngineError::Internal(format!("parameter `{name}` has no spec")))?;
    raw.parse()
        .map_err(|e: BasketError| EngineError::invalid_param(name, e.to_string()))
}

/// The interaction kinds that form baskets, from parameter `kinds`: a
/// comma-separated list, or `*` for every kind.
pub fn kinds(values: &ParamValues) -> Result<Option<Vec<String>>, EngineError> {
    let text = values.text("kinds")?.trim();
    if text == "*" {
        return Ok(None);
    }
    let list: Vec<String> = text
        .split(',')
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    if list.is_empty() {
        return Err(EngineError::invalid_param(
            "kinds",
            "name at least one kind, or *",
        ));
    }
    Ok(Some(list))
}

impl Recommender for Baskets {
    type Model = BasketsModel;

    fn name(&self) -> &'static str {
        "baskets"
    }

    fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: self.name().into(),
            summary: "Bought together: FP-growth frequent itemsets and exact association rules \
                      (support, confidence, lift); a customer gets what completes their latest basket"
                .into(),
            params: vec![
                ParamSpec::float(
                    "min_support",
                    0.01,
                    0.0,
                    1.0,
                    "an itemset is frequent when in at least ceil(min_support * baskets) baskets \
                     (decided exactly from the decimal given)",
                )
                .searched(Search::LogUniform {
                    low: 0.002,
                    high: 0.05,
                }),
                ParamSpec::float(
                    "min_confidence",
                    0.1,
                    0.0,
                    1.0,
                    "a rule A -> C is kept when n(A and C) / n(A) is at least this (exactly)",
                )
                .searched(Search::Uniform {
                    low: 0.05,
                    high: 0.5,
                }),
                ParamSpec::int("max_len", 4, 1, 10, "longest itemset mined"),
                ParamSpec::int(
                    "max_itemsets",
                    1_000_000,
                    1,
                    100_000_000,
                    "fail (raise min_support or lower max_len) beyond this many frequent itemsets",
                ),
                ParamSpec::int(
                    "max_rules",
                    1_000_000,
                    1,
                    100_000_000,
                    "fail (raise min_confidence) beyond this many rules",
                ),
                ParamSpec::choice(
                    "basket",
                    "day",
                    &["day", "customer"],
                    "what a basket is when interactions carry no basket id: a customer's \
                     interactions on one UTC day, or all of a customer's interactions",
                ),
                ParamSpec::text(
                    "kinds",
                    "purchase",
                    "interaction kinds that form baskets, comma-separated, or * for all; \
                     applied by the caller that builds the data",
                ),
            ],
            needs: vec![DataNeed::Interactions],
        }
    }

    /// Interactions with a positive weight form the baskets: those with a
    /// basket index by it, the others by customer-day (or whole customers
    /// with `basket=customer`); a customer's latest basket is kept to
    /// recommend from.
    fn fit(&self, data: &Dataset, params: &Params) -> Result<BasketsModel, EngineError> {
        let specs = self.describe().params;
        let values = params.resolve(&specs)?;
        kinds(&values)?;
        data.validate()?;
        let records: Vec<Record> = data
            .interactions
            .iter()
            .filter(|x| x.weight > 0.0)
            .map(|x| Record {
                customer: x.customer,
                basket_id: x.basket.map(|b| b.to_string()),
                item: x.item,
                occurred_at: x.timestamp,
            })
            .collect();
        let baskets = if values.text("basket")? == "customer" {
            baskets_by_customer(&records)
        } else {
            baskets_from_records(&records)
        };
        let mining = MiningConfig {
            min_support: exact_param(params, &specs, "min_support")?,
            max_len: values.usize("max_len")?,
            max_itemsets: values.usize("max_itemsets")?,
        };
        let rule_config = RuleConfig {
            min_confidence: exact_param(params, &specs, "min_confidence")?,
            max_rules: values.usize("max_rules")?,
        };
        let item_lists: Vec<&[u32]> = baskets.iter().map(|b| b.items.as_slice()).collect();
        let mined = mine(&item_lists, &mining, &rule_config)?;
        // Baskets come by customer, then time: the last of each customer's is their latest.
        let mut latest: Vec<&[u32]> = vec![&[]; data.n_customers];
        for b in &baskets {
            if let Some(slot) = latest.get_mut(b.customer as usize) {
                *slot = &b.items;
            }
        }
        let mut latest_start = Vec::with_capacity(data.n_customers + 1);
        let mut latest_items = Vec::new();
        latest_start.push(0);
        for items in latest {
            latest_items.extend_from_slice(items);
            latest_start.push(latest_items.len() as u32);
        }
        let stats = MiningStats {
            n_baskets: mined.itemsets.n_baskets,
            min_count: mined.itemsets.min_count,
            itemsets_by_size: mined.itemsets.count_by_size(),
            n_rules: mined.rules.len(),
        };
        Ok(BasketsModel {
            index: RuleIndex::new(data.n_items, mined.rules),
            stats,
            latest_start,
            latest_items,
        })
    }

    /// What completes the customer's latest basket ([`RuleIndex::complete`]):
    /// scores are rule confidences; reasons are the basket items in the
    /// antecedents of the rules behind an item, each weighted by the best
    /// confidence among those rules.
    fn recommend(
        &self,
        model: &BasketsModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        let basket = model.latest_basket(customer)?;
        let suggestions = model.index.complete(basket, k, exclude);
        Ok(suggestions
            .iter()
            .map(|s| recommendation(&model.index, s))
            .collect())
    }

    /// Items bought with `item`: what completes the basket `{item}`.
    fn similar_items(
        &self,
        model: &BasketsModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        if item as usize >= model.index.n_items() {
            return Err(EngineError::UnknownItem(item));
        }
        let suggestions = model.index.complete(&[item], k, &[]);
        Ok(suggestions
            .iter()
            .map(|s| recommendation(&model.index, s))
            .collect())
    }
}

/// A suggestion as a recommendation, explained by the antecedent items of its rules.
fn recommendation(index: &RuleIndex, s: &Suggestion) -> Recommendation {
    let mut best: Vec<(u32, f64)> = Vec::new();
    for rule in s.rules.iter().filter_map(|&r| index.rules().get(r)) {
        for &a in &rule.antecedent {
            match best.iter_mut().find(|(i, _)| *i == a) {
                Some((_, w)) => *w = w.max(rule.confidence()),
                None => best.push((a, rule.confidence())),
            }
        }
    }
    Recommendation {
        item: s.item,
        score: s.score,
        reasons: top_reasons(best, MAX_REASONS),
    }
}
