//! The `baskets` engine: market-basket analysis. Baskets (sets of item
//! indices) are mined with a hand-written FP-growth for every itemset in at
//! least `ceil(min_support * N)` of the `N` baskets, with exact counts; rules
//! A -> C are kept when n(A ∪ C) / n(A) >= min_confidence, decided in
//! integers, and ranked by lift, confidence, then the items' text (DESIGN.md
//! §5). A fitted model serves "bought together" and "complete this basket",
//! and recommends through the core [`rapport_core::Recommender`] trait.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod basket;
pub mod engine;
pub mod error;
pub mod fpgrowth;
pub mod fraction;
pub mod model;
pub mod rules;
mod tree;

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod fpgrowth_tests;
#[cfg(test)]
mod rules_tests;

pub use basket::{Basket, BasketKey, Record, baskets_by_customer, baskets_from_records, utc_day};
pub use engine::{Baskets, BasketsModel, MiningStats, exact_param};
pub use error::BasketError;
pub use fpgrowth::{FrequentItemsets, Itemset, MiningConfig, frequent_itemsets, min_count};
pub use fraction::Fraction;
pub use model::{MAX_SUGGESTION_RULES, RuleIndex, Suggestion};
pub use rules::{Rule, RuleConfig, association_rules, rank_rules, rank_rules_by};

/// Frequent itemsets and the rules kept from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mined {
    /// The frequent itemsets with their counts.
    pub itemsets: FrequentItemsets,
    /// The kept rules, ranked.
    pub rules: Vec<Rule>,
}

/// Mines `baskets` for frequent itemsets, then rules.
pub fn mine<B: AsRef<[u32]>>(
    baskets: &[B],
    mining: &MiningConfig,
    rules: &RuleConfig,
) -> Result<Mined, BasketError> {
    let itemsets = frequent_itemsets(baskets, mining)?;
    let rules = association_rules(&itemsets, rules)?;
    Ok(Mined { itemsets, rules })
}
