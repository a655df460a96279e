//! The rule of each leaf: the conditions on the path from the root, merged
//! per feature (an interval for a number, a set of levels for a category),
//! with the leaf's probability and training rows, as structured data and as
//! text such as `Contract = Month-to-month AND tenure < 6.5 → 61 % Churn=Yes (412 customers)`.

use rapport_core::scoring::{ResolvedLabel, sigmoid};
use rapport_trees::{BinKind, Binner, FeatureBins, MISSING_BIN, Tree};
use serde::{Deserialize, Serialize};

/// What a condition asks of a feature's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Test {
    /// `min <= x < max` (each bound optional), or missing when `or_missing`.
    Range {
        /// Inclusive lower bound.
        min: Option<f64>,
        /// Exclusive upper bound.
        max: Option<f64>,
        /// Whether a missing value also passes.
        or_missing: bool,
    },
    /// The value is missing.
    Missing,
    /// The level is one of these (`(missing)` and `(other)` name those bins).
    In(Vec<String>),
    /// The level is none of these.
    NotIn(Vec<String>),
}

/// One condition of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// The input column.
    pub feature: String,
    /// What its value must be.
    pub test: Test,
}

/// The rule of one leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeafRule {
    /// The leaf's node index.
    pub leaf: usize,
    /// The conditions, in the order their features are first split on.
    pub conditions: Vec<Condition>,
    /// The leaf's predicted probability of the positive class.
    pub probability: f64,
    /// Training rows in the leaf.
    pub customers: u32,
    /// The rule as text.
    pub text: String,
}

/// The rule of every leaf of `tree`, in node order.
pub fn leaf_rules(tree: &Tree, binner: &Binner, label: &ResolvedLabel) -> Vec<LeafRule> {
    let features = binner.features();
    // The bins each feature may still hold at a node, and the order in which
    // features were first split on the way to it.
    let mut stack = vec![(0usize, Vec::<(usize, Vec<bool>)>::new())];
    let mut rules = Vec::new();
    while let Some((node, allowed)) = stack.pop() {
        let here = &tree.nodes[node];
        let Some(split) = &here.split else {
            let conditions: Vec<Condition> = allowed
                .iter()
                .filter_map(|(f, bins)| condition(&features[*f], bins))
                .collect();
            let probability = sigmoid(here.value);
            let text = text(&conditions, probability, here.stats.n, label);
            rules.push(LeafRule {
                leaf: node,
                conditions,
                probability,
                customers: here.stats.n,
                text,
            });
            continue;
        };
        let f = split.feature as usize;
        for (child, left) in [(split.right, false), (split.left, true)] {
            let mut allowed = allowed.clone();
            let index = match allowed.iter().position(|(g, _)| *g == f) {
                Some(i) => i,
                None => {
                    allowed.push((f, vec![true; features[f].n_bins()]));
                    allowed.len() - 1
                }
            };
            for (bin, ok) in allowed[index].1.iter_mut().enumerate() {
                *ok &= split.rule.goes_left(bin as u16, split.missing_left) == left;
            }
            stack.push((child as usize, allowed));
        }
    }
    rules.sort_by_key(|r| r.leaf);
    rules
}

/// The condition the allowed bins of a feature put on it; `None` when they
/// allow every value the training rows had.
fn condition(feature: &FeatureBins, allowed: &[bool]) -> Option<Condition> {
    let missing = allowed[usize::from(MISSING_BIN)];
    let test = match &feature.kind {
        BinKind::Numeric { thresholds } => {
            let present: Vec<usize> = (1..allowed.len()).filter(|&b| allowed[b]).collect();
            let (first, last) = match (present.first(), present.last()) {
                (Some(&first), Some(&last)) => (first, last),
                _ => return Some(named(feature, Test::Missing)),
            };
            let min = first
                .checked_sub(2)
                .and_then(|i| thresholds.get(i))
                .copied();
            let max = thresholds.get(last - 1).copied();
            let or_missing = missing && feature.missing_rows > 0;
            if min.is_none() && max.is_none() && (or_missing || feature.missing_rows == 0) {
                return None;
            }
            Test::Range {
                min,
                max,
                or_missing,
            }
        }
        BinKind::Categorical { .. } => {
            // Only the bins the training rows held: the missing bin and the
            // rare bin when they were used.
            let seen: Vec<usize> = (0..allowed.len())
                .filter(|&b| match b {
                    0 => feature.missing_rows > 0,
                    b if b == allowed.len() - 1 => feature.rare_rows > 0,
                    _ => true,
                })
                .collect();
            let label = |b: &usize| feature.bin_label(*b as u16);
            let (inside, outside): (Vec<usize>, Vec<usize>) =
                seen.iter().partition(|&&b| allowed[b]);
            if outside.is_empty() {
                return None;
            }
            if inside.len() <= outside.len() {
                Test::In(inside.iter().map(label).collect())
            } else {
                Test::NotIn(outside.iter().map(label).collect())
            }
        }
    };
    Some(named(feature, test))
}

fn named(feature: &FeatureBins, test: Test) -> Condition {
    Condition {
        feature: feature.name.clone(),
        test,
    }
}

impl Condition {
    /// The condition as text, e.g. `tenure < 6.5`, `Contract in {One year, Two year}`.
    pub fn text(&self) -> String {
        let name = &self.feature;
        match &self.test {
            Test::Missing => format!("{name} is missing"),
            Test::Range {
                min,
                max,
                or_missing,
            } => {
                let range = match (min, max) {
                    (Some(lo), Some(hi)) => format!("{lo} ≤ {name} < {hi}"),
                    (Some(lo), None) => format!("{name} ≥ {lo}"),
                    (None, Some(hi)) => format!("{name} < {hi}"),
                    (None, None) => format!("{name} is known"),
                };
                if *or_missing {
                    format!("({range} or missing)")
                } else {
                    range
                }
            }
            Test::In(levels) if levels.len() == 1 => format!("{name} = {}", levels[0]),
            Test::In(levels) => format!("{name} in {{{}}}", levels.join(", ")),
            Test::NotIn(levels) if levels.len() == 1 => format!("{name} ≠ {}", levels[0]),
            Test::NotIn(levels) => format!("{name} not in {{{}}}", levels.join(", ")),
        }
    }
}

fn text(conditions: &[Condition], probability: f64, rows: u32, label: &ResolvedLabel) -> String {
    let when = if conditions.is_empty() {
        "every customer".to_owned()
    } else {
        conditions
            .iter()
            .map(Condition::text)
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let unit = if rows == 1 { "customer" } else { "customers" };
    format!(
        "{when} → {:.0} % {}={} ({rows} {unit})",
        probability * 100.0,
        label.column,
        label.positive
    )
}
