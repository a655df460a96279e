//! Association rules from frequent itemsets, kept and ranked exactly.
//!
//! For every frequent S with |S| >= 2 and every non-empty proper subset A,
//! the rule A -> C (C = S \ A) is kept iff n(S) / n(A) >= min_confidence,
//! decided in integers. Rules rank by lift, then confidence (both compared as
//! exact fractions by cross-multiplication in `u128`), then the antecedent's
//! text, then the consequent's (items ascending, joined by `,`, compared as
//! text, so `"10" < "9"`).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::error::BasketError;
use crate::fpgrowth::FrequentItemsets;
use crate::fraction::Fraction;

/// Settings of rule generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleConfig {
    /// A rule is kept when n(S) / n(A) is at least this (exactly).
    pub min_confidence: Fraction,
    /// Generation fails, naming the threshold to raise, beyond this many rules.
    pub max_rules: usize,
}

/// One association rule A -> C with the counts behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// A, ascending.
    pub antecedent: Vec<u32>,
    /// C, ascending; disjoint from A.
    pub consequent: Vec<u32>,
    /// n(A): baskets holding every item of A.
    pub n_antecedent: u32,
    /// n(C).
    pub n_consequent: u32,
    /// n(S) = n(A ∪ C).
    pub n_both: u32,
    /// N: baskets mined.
    pub n_baskets: u32,
}

impl Rule {
    /// Support n(S) / N.
    pub fn support(&self) -> f64 {
        f64::from(self.n_both) / f64::from(self.n_baskets.max(1))
    }

    /// Confidence n(S) / n(A).
    pub fn confidence(&self) -> f64 {
        f64::from(self.n_both) / f64::from(self.n_antecedent.max(1))
    }

    /// Lift n(S) * N / (n(A) * n(C)).
    pub fn lift(&self) -> f64 {
        let (num, den) = self.lift_fraction();
        num as f64 / den.max(1) as f64
    }

    /// Conviction (1 - n(C) / N) / (1 - confidence)
    /// = (N - n(C)) * n(A) / (N * (n(A) - n(S))); `None` when infinite
    /// (confidence 1).
    pub fn conviction(&self) -> Option<f64> {
        let gap = self
            .n_antecedent
            .checked_sub(self.n_both)
            .filter(|&g| g > 0)?;
        let num = f64::from(self.n_baskets.saturating_sub(self.n_consequent))
            * f64::from(self.n_antecedent);
        Some(num / (f64::from(self.n_baskets) * f64::from(gap)))
    }

    /// Confidence as the exact fraction (n(S), n(A)).
    pub fn confidence_fraction(&self) -> (u64, u64) {
        (u64::from(self.n_both), u64::from(self.n_antecedent))
    }

    /// Lift as the exact fraction (n(S) * N, n(A) * n(C)).
    pub fn lift_fraction(&self) -> (u128, u128) {
        (
            u128::from(self.n_both) * u128::from(self.n_baskets),
            u128::from(self.n_antecedent) * u128::from(self.n_consequent),
        )
    }

    /// The antecedent's items ascending, joined by `,`.
    pub fn antecedent_text(&self) -> String {
        join(&self.antecedent)
    }

    /// The consequent's items ascending, joined by `,`.
    pub fn consequent_text(&self) -> String {
        join(&self.consequent)
    }

    /// Orders by lift, then confidence, both descending and exact; ties stay `Equal`.
    pub fn cmp_metrics(&self, other: &Self) -> Ordering {
        cmp_fraction(other.lift_fraction(), self.lift_fraction())
            .then_with(|| cmp_confidence(other, self))
    }
}

/// Compares a / b with c / d exactly (the products of four `u32`s fit in `u128`).
fn cmp_fraction((a, b): (u128, u128), (c, d): (u128, u128)) -> Ordering {
    (a * d).cmp(&(c * b))
}

/// Compares the confidences of two rules exactly.
fn cmp_confidence(a: &Rule, b: &Rule) -> Ordering {
    let (x, y) = a.confidence_fraction();
    let (u, v) = b.confidence_fraction();
    (u128::from(x) * u128::from(v)).cmp(&(u128::from(u) * u128::from(y)))
}

/// Orders rules by exact confidence, descending.
pub(crate) fn by_confidence_desc(a: &Rule, b: &Rule) -> Ordering {
    cmp_confidence(b, a)
}

/// Items joined by `,`.
pub fn join(items: &[u32]) -> String {
    items
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Sorts rules into the ranking of DESIGN.md §5: lift, then confidence
/// (descending, exact), then antecedent text, then consequent text, with
/// items named by their indices.
pub fn rank_rules(rules: Vec<Rule>) -> Vec<Rule> {
    rank_rules_by(rules, join)
}

/// [`rank_rules`] with the ties broken by `text` of the antecedent and of
/// the consequent (for example the items' external ids, sorted and joined
/// by `,`, as DESIGN.md §5 asks when the indices are not the ids).
pub fn rank_rules_by(rules: Vec<Rule>, text: impl Fn(&[u32]) -> String) -> Vec<Rule> {
    let mut keyed: Vec<(String, String, Rule)> = rules
        .into_iter()
        .map(|r| (text(&r.antecedent), text(&r.consequent), r))
        .collect();
    keyed.sort_unstable_by(|(a1, c1, r1), (a2, c2, r2)| {
        r1.cmp_metrics(r2)
            .then_with(|| a1.cmp(a2))
            .then_with(|| c1.cmp(c2))
    });
    keyed.into_iter().map(|(_, _, r)| r).collect()
}

/// A small multiplicative hasher for itemset lookups (keys are short `u32`
/// lists from our own data, so flooding resistance is not needed).
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Every kept rule of `itemsets`, ranked (see [`rank_rules`]).
pub fn association_rules(
    itemsets: &FrequentItemsets,
    config: &RuleConfig,
) -> Result<Vec<Rule>, BasketError> {
    let counts: HashMap<&[u32], u32, BuildHasherDefault<FxHasher>> = itemsets
        .itemsets
        .iter()
        .map(|s| (s.items.as_slice(), s.count))
        .collect();
    let count_of = |items: &[u32]| {
        counts.get(items).copied().ok_or_else(|| {
            BasketError::Internal(format!(
                "subset {} of a frequent itemset has no count",
                join(items)
            ))
        })
    };
    let mut rules = Vec::new();
    let (mut a, mut c) = (Vec::new(), Vec::new());
    for set in itemsets.itemsets.iter().filter(|s| s.items.len() >= 2) {
        let k = set.items.len();
        if k >= 64 {
            return Err(BasketError::TooLarge(format!("an itemset of {k} items")));
        }
        for mask in 1..(1u64 << k) - 1 {
            a.clear();
            c.clear();
            for (bit, &item) in set.items.iter().enumerate() {
                if mask >> bit & 1 == 1 {
                    a.push(item);
                } else {
                    c.push(item);
                }
            }
            let n_a = count_of(&a)?;
            if !config
                .min_confidence
                .reached_by(u64::from(set.count), u64::from(n_a))
            {
                continue;
            }
            if rules.len() >= config.max_rules {
                return Err(BasketError::TooManyRules {
                    limit: config.max_rules,
                    min_confidence: config.min_confidence.to_f64().to_string(),
                });
            }
            rules.push(Rule {
                antecedent: a.clone(),
                consequent: c.clone(),
                n_antecedent: n_a,
                n_consequent: count_of(&c)?,
                n_both: set.count,
                n_baskets: itemsets.n_baskets,
            });
        }
    }
    Ok(rank_rules(rules))
}
