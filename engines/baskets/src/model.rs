//! Ranked rules indexed for serving: what is bought with an item, and what
//! completes a basket.

use std::collections::BTreeMap;

use rapport_core::ranking::Exclusion;
use serde::{Deserialize, Serialize};

use crate::rules::{Rule, by_confidence_desc};

/// Rules listed behind one suggestion at most.
pub const MAX_SUGGESTION_RULES: usize = 5;

/// An item suggested for a basket, with the rules behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The item to add.
    pub item: u32,
    /// The score: the highest confidence among the rules that apply (see
    /// [`RuleIndex::complete`]).
    pub score: f64,
    /// Lift of the rule that gave the score.
    pub lift: f64,
    /// How many rules apply.
    pub n_rules: usize,
    /// Up to [`MAX_SUGGESTION_RULES`] applying rules as positions in
    /// [`RuleIndex::rules`], best (highest confidence, then rank) first.
    pub rules: Vec<usize>,
}

/// The ranked rules of one model and two indexes over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleIndex {
    n_items: usize,
    rules: Vec<Rule>,
    /// CSR over items: rules whose antecedent is that single item, in rank order.
    single_start: Vec<u32>,
    single: Vec<u32>,
    /// CSR over items: rules whose antecedent's smallest item is that item.
    first_start: Vec<u32>,
    first: Vec<u32>,
}

/// Rule positions grouped by an item of each rule (`key`), in rank order.
fn csr(n_items: usize, rules: &[Rule], key: impl Fn(&Rule) -> Option<u32>) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n_items + 1];
    let keys: Vec<Option<u32>> = rules.iter().map(&key).collect();
    for k in keys.iter().flatten() {
        if let Some(s) = start.get_mut(*k as usize + 1) {
            *s += 1;
        }
    }
    for i in 0..n_items {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut out = vec![0u32; start.last().copied().unwrap_or(0) as usize];
    for (position, k) in keys.iter().enumerate() {
        if let Some(at) = k.and_then(|k| fill.get_mut(k as usize)) {
            if let Some(slot) = out.get_mut(*at as usize) {
                *slot = position as u32;
            }
            *at += 1;
        }
    }
    (start, out)
}

fn lane<'a>(start: &[u32], values: &'a [u32], item: u32) -> &'a [u32] {
    match (start.get(item as usize), start.get(item as usize + 1)) {
        (Some(&a), Some(&b)) => values.get(a as usize..b as usize).unwrap_or(&[]),
        _ => &[],
    }
}

impl RuleIndex {
    /// Indexes ranked rules over a catalogue of `n_items` (rules naming items
    /// beyond it are kept but never served).
    pub fn new(n_items: usize, rules: Vec<Rule>) -> Self {
        let in_range = |i: &u32| (*i as usize) < n_items;
        let (single_start, single) = csr(n_items, &rules, |r| match r.antecedent.as_slice() {
            [i] => Some(*i).filter(in_range),
            _ => None,
        });
        let (first_start, first) = csr(n_items, &rules, |r| {
            r.antecedent.first().copied().filter(in_range)
        });
        Self {
            n_items,
            rules,
            single_start,
            single,
            first_start,
            first,
        }
    }

    /// The catalogue size.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// Every rule, ranked (DESIGN.md §5).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The best `k` rules whose antecedent is exactly `{item}`, in rank order
    /// (lift, then confidence, ...); empty for an unknown item.
    pub fn bought_together(&self, item: u32, k: usize) -> Vec<&Rule> {
        lane(&self.single_start, &self.single, item)
            .iter()
            .filter_map(|&r| self.rules.get(r as usize))
            .take(k)
            .collect()
    }

    /// The best `k` items to add to `basket`, leaving out `exclude`.
    ///
    /// A rule A -> C applies when A is within the basket and C shares no item
    /// with it; each item of C is then a candidate. A candidate's score is the
    /// highest confidence among the rules that apply to it (the probability,
    /// over past baskets, that a basket holding A also holds it); candidates
    /// rank by that confidence, exactly, then by item index. Basket items
    /// outside the catalogue are ignored.
    pub fn complete(&self, basket: &[u32], k: usize, exclude: &[u32]) -> Vec<Suggestion> {
        if k == 0 {
            return Vec::new();
        }
        let mut in_basket = vec![false; self.n_items];
        for &i in basket {
            if let Some(f) = in_basket.get_mut(i as usize) {
                *f = true;
            }
        }
        let held = |i: &u32| in_basket.get(*i as usize).copied().unwrap_or(false);
        let mut items: Vec<u32> = basket.iter().copied().filter(held).collect();
        items.sort_unstable();
        items.dedup();
        let excluded = Exclusion::new(self.n_items, exclude);
        let mut candidates: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for &i in &items {
            for &r in lane(&self.first_start, &self.first, i) {
                let Some(rule) = self.rules.get(r as usize) else {
                    continue;
                };
                if !rule.antecedent.iter().all(held) || rule.consequent.iter().any(held) {
                    continue;
                }
                for &c in &rule.consequent {
                    if (c as usize) < self.n_items && !excluded.contains(c) {
                        candidates.entry(c).or_default().push(r as usize);
                    }
                }
            }
        }
        // Best rule of each candidate: highest confidence, then rank.
        let order =
            |a: usize, b: usize| by_confidence_desc(&self.rules[a], &self.rules[b]).then(a.cmp(&b));
        let mut ranked: Vec<(u32, usize, Vec<usize>)> = candidates
            .into_iter()
            .filter_map(|(item, rules)| {
                let best = rules.iter().copied().min_by(|&a, &b| order(a, b))?;
                Some((item, best, rules))
            })
            .collect();
        ranked.sort_unstable_by(|(a, ra, _), (b, rb, _)| {
            by_confidence_desc(&self.rules[*ra], &self.rules[*rb]).then(a.cmp(b))
        });
        ranked.truncate(k);
        ranked
            .into_iter()
            .map(|(item, best, mut rules)| {
                let n_rules = rules.len();
                if n_rules > MAX_SUGGESTION_RULES {
                    rules.select_nth_unstable_by(MAX_SUGGESTION_RULES - 1, |&a, &b| order(a, b));
                    rules.truncate(MAX_SUGGESTION_RULES);
                }
                rules.sort_unstable_by(|&a, &b| order(a, b));
                let rule = &self.rules[best];
                Suggestion {
                    item,
                    score: rule.confidence(),
                    lift: rule.lift(),
                    n_rules,
                    rules,
                }
            })
            .collect()
    }
}
