//! Top-k selection with the reference tie-breaking: score descending, then index ascending.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::recommender::{Reason, Recommendation};

/// Orders `(index, score)` pairs best first: higher score, then lower index.
pub fn rank_order(a: &(u32, f64), b: &(u32, f64)) -> Ordering {
    b.1.partial_cmp(&a.1)
        .unwrap_or(Ordering::Equal)
        .then(a.0.cmp(&b.0))
}

/// A pair ordered by rank: "greater" ranks later, so a max-heap of them
/// keeps the worst of the best on top.
struct Ranked((u32, f64));

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        rank_order(&self.0, &other.0)
    }
}

/// The best `k` of `pairs` in rank order. Holds at most `k` pairs at a time
/// (a heap whose top is the worst kept), so a serving request ranking a
/// whole catalogue neither collects nor partitions it.
fn best_k(pairs: impl Iterator<Item = (u32, f64)>, k: usize) -> Vec<(u32, f64)> {
    if k == 0 {
        return Vec::new();
    }
    let mut kept: BinaryHeap<Ranked> = BinaryHeap::with_capacity(k + 1);
    for pair in pairs {
        if kept.len() < k {
            kept.push(Ranked(pair));
        } else if let Some(mut worst) = kept.peek_mut()
            && rank_order(&pair, &worst.0) == Ordering::Less
        {
            *worst = Ranked(pair);
        }
    }
    let mut out: Vec<(u32, f64)> = kept.into_iter().map(|r| r.0).collect();
    out.sort_unstable_by(rank_order);
    out
}

/// The best `k` pairs in rank order.
pub fn top_k_pairs(pairs: Vec<(u32, f64)>, k: usize) -> Vec<(u32, f64)> {
    best_k(pairs.into_iter(), k)
}

/// The best `k` items of a dense score vector, skipping excluded ones.
///
/// Candidates whose score is zero still fill the list (by index, after the
/// positive scores and before the negative ones), so a list is shorter than
/// `k` only when fewer candidates remain. Only non-zero scores are ranked,
/// `k` at a time, so large score vectors stay cheap.
pub fn top_k_dense(scores: &[f64], k: usize, excluded: &Exclusion) -> Vec<(u32, f64)> {
    let nonzero = scores
        .iter()
        .enumerate()
        .filter(|(i, s)| **s != 0.0 && !excluded.contains(*i as u32))
        .map(|(i, s)| (i as u32, *s));
    let ranked = best_k(nonzero, k);
    let positives = ranked.iter().take_while(|(_, s)| *s > 0.0).count();
    let mut out: Vec<(u32, f64)> = ranked[..positives].to_vec();
    let zeros = scores
        .iter()
        .enumerate()
        .filter(|(i, s)| **s == 0.0 && !excluded.contains(*i as u32))
        .map(|(i, _)| (i as u32, 0.0))
        .take(k - positives);
    out.extend(zeros);
    let room = k - out.len();
    out.extend(ranked[positives..].iter().take(room));
    out
}

/// Reasons shown with each recommendation.
pub const MAX_REASONS: usize = 3;

/// The strongest positive contributions as reasons, largest first, ties by index.
pub fn top_reasons(contributions: Vec<(u32, f64)>, n: usize) -> Vec<Reason> {
    let positive = contributions.into_iter().filter(|(_, w)| *w > 0.0);
    best_k(positive, n)
        .into_iter()
        .map(|(item, weight)| Reason { item, weight })
        .collect()
}

/// The ranked `top` as recommendations with reasons. `explain` gets the
/// candidates in rank order and returns, for each, what the history items
/// added to its score (`(history item, weight)`); the strongest become its
/// reasons. Engines explain every candidate in one pass this way.
pub fn explained(
    top: Vec<(u32, f64)>,
    explain: impl FnOnce(&[u32]) -> Vec<Vec<(u32, f64)>>,
) -> Vec<Recommendation> {
    let candidates: Vec<u32> = top.iter().map(|(item, _)| *item).collect();
    let contributions = explain(&candidates);
    top.into_iter()
        .zip(
            contributions
                .into_iter()
                .chain(std::iter::repeat_with(Vec::new)),
        )
        .map(|((item, score), pairs)| Recommendation {
            item,
            score,
            reasons: top_reasons(pairs, MAX_REASONS),
        })
        .collect()
}

/// Items ranked by similarity to `item` as recommendations, each explained
/// by `item` itself with the similarity as weight.
pub fn similar_to(item: u32, ranked: impl IntoIterator<Item = (u32, f64)>) -> Vec<Recommendation> {
    ranked
        .into_iter()
        .map(|(j, similarity)| Recommendation {
            item: j,
            score: similarity,
            reasons: vec![Reason {
                item,
                weight: similarity,
            }],
        })
        .collect()
}

/// Each item's position among `candidates`, over a catalogue of `n_items`:
/// one lookup tells whether an item is a candidate, and which.
pub fn positions(candidates: &[u32], n_items: usize) -> Vec<Option<usize>> {
    let mut slot = vec![None; n_items];
    for (position, &item) in candidates.iter().enumerate() {
        if let Some(s) = slot.get_mut(item as usize) {
            *s = Some(position);
        }
    }
    slot
}

/// A set of item indices left out of a list, as a bitmap over the catalogue.
#[derive(Debug, Clone)]
pub struct Exclusion {
    flags: Vec<bool>,
}

impl Exclusion {
    /// The items of `exclude` (indices at or past `n_items` are ignored).
    pub fn new(n_items: usize, exclude: &[u32]) -> Self {
        let mut flags = vec![false; n_items];
        for &i in exclude {
            if let Some(f) = flags.get_mut(i as usize) {
                *f = true;
            }
        }
        Self { flags }
    }

    /// Whether `item` is excluded.
    pub fn contains(&self, item: u32) -> bool {
        self.flags.get(item as usize).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explained_lists_keep_rank_order_and_the_strongest_reasons() {
        let top = vec![(7, 3.0), (2, 1.5)];
        let list = explained(top, |candidates| {
            assert_eq!(candidates, &[7, 2]);
            vec![vec![(0, 1.0), (1, 2.0), (3, -1.0)], vec![(4, 1.5)]]
        });
        assert_eq!((list[0].item, list[0].score), (7, 3.0));
        let reasons: Vec<u32> = list[0].reasons.iter().map(|r| r.item).collect();
        assert_eq!(reasons, vec![1, 0]);
        assert_eq!(list[1].reasons[0].item, 4);
        assert_eq!(
            positions(&[5, 1], 6),
            vec![None, Some(1), None, None, None, Some(0)]
        );
    }

    #[test]
    fn best_k_matches_a_full_sort() {
        // Scores with many ties, in a scrambled order.
        let pairs: Vec<(u32, f64)> = (0..500u32)
            .map(|i| ((i * 7919) % 500, f64::from((i * 31) % 17) - 8.0))
            .collect();
        let mut sorted = pairs.clone();
        sorted.sort_by(rank_order);
        for k in [0, 1, 3, 10, 499, 500, 600] {
            let expected: Vec<(u32, f64)> = sorted.iter().copied().take(k).collect();
            assert_eq!(top_k_pairs(pairs.clone(), k), expected, "k = {k}");
        }
    }

    #[test]
    fn ties_break_by_index_and_zeros_fill() {
        let scores = [0.0, 2.0, 1.0, 2.0, 0.0, 0.0];
        let ex = Exclusion::new(6, &[2]);
        let top = top_k_dense(&scores, 4, &ex);
        assert_eq!(top, vec![(1, 2.0), (3, 2.0), (0, 0.0), (4, 0.0)]);
    }

    #[test]
    fn reasons_keep_the_strongest_positive_contributions() {
        let r = top_reasons(vec![(4, 0.5), (1, -1.0), (2, 2.0), (3, 0.5), (5, 0.0)], 2);
        assert_eq!(
            r,
            vec![
                Reason {
                    item: 2,
                    weight: 2.0
                },
                Reason {
                    item: 3,
                    weight: 0.5
                }
            ]
        );
    }

    #[test]
    fn zeros_come_between_positive_and_negative_scores() {
        let scores = [-1.0, 0.0, 3.0, 0.0, -0.5, 0.0];
        let none = Exclusion::new(6, &[]);
        assert_eq!(
            top_k_dense(&scores, 6, &none),
            vec![(2, 3.0), (1, 0.0), (3, 0.0), (5, 0.0), (4, -0.5), (0, -1.0)]
        );
        assert_eq!(
            top_k_dense(&scores, 2, &Exclusion::new(6, &[1])),
            vec![(2, 3.0), (3, 0.0)]
        );
        assert_eq!(
            top_k_dense(&[-2.0, -1.0], 1, &Exclusion::new(2, &[])),
            vec![(1, -1.0)]
        );
    }

    #[test]
    fn short_lists_and_zero_k() {
        assert_eq!(
            top_k_pairs(vec![(5, 1.0), (2, 3.0)], 10),
            vec![(2, 3.0), (5, 1.0)]
        );
        assert!(top_k_pairs(vec![(1, 1.0)], 0).is_empty());
        assert!(top_k_dense(&[1.0], 3, &Exclusion::new(1, &[0])).is_empty());
    }
}
