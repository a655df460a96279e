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
        .filter(|(_, s)| **s != 0.0)
        .map(|(i, s)| (i as u32, *s));
    top_k_scored(
        nonzero,
        |i| scores.get(i).copied().unwrap_or(0.0),
        scores.len(),
        k,
        excluded,
    )
}

/// [`top_k_dense`] over a score vector given sparsely: `nonzero` yields every
/// item whose score is not zero (in any order, each once), `score_of` any
/// item's score, and every other item of `0..n_items` scores zero. The work
/// is bounded by the non-zero scores, `k` and the exclusions, not by
/// `n_items`: the zero fill walks the catalogue from the start and stops
/// once the list is full.
pub fn top_k_scored(
    nonzero: impl Iterator<Item = (u32, f64)>,
    score_of: impl Fn(usize) -> f64,
    n_items: usize,
    k: usize,
    excluded: &Exclusion,
) -> Vec<(u32, f64)> {
    let ranked = best_k(nonzero.filter(|(i, _)| !excluded.contains(*i)), k);
    let positives = ranked.iter().take_while(|(_, s)| *s > 0.0).count();
    let mut out: Vec<(u32, f64)> = ranked[..positives].to_vec();
    let zeros = (0..n_items)
        .filter(|&i| score_of(i) == 0.0 && !excluded.contains(i as u32))
        .map(|i| (i as u32, 0.0))
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

/// Each candidate's position among `candidates`, looked up by item. On a
/// catalogue small next to the candidates a slot per item answers at once;
/// on a large one the candidates are sorted and searched, so the cost
/// depends on the candidates only, never on the catalogue.
#[derive(Debug, Clone)]
pub enum CandidateSlots {
    /// `(item, position)` sorted by item.
    Sorted(Vec<(u32, usize)>),
    /// One slot per catalogue item, `u32::MAX` for an item that is no candidate.
    Dense(Vec<u32>),
}

/// Catalogue items per candidate up to which slots are dense.
const DENSE_SLOTS_PER_CANDIDATE: usize = 256;

impl CandidateSlots {
    /// The slots of `candidates` among `n_items` items (for a repeated
    /// item, its first position).
    pub fn new(candidates: &[u32], n_items: usize) -> Self {
        if n_items <= candidates.len().saturating_mul(DENSE_SLOTS_PER_CANDIDATE) {
            let mut slots = vec![u32::MAX; n_items];
            for (position, &item) in candidates.iter().enumerate().rev() {
                if let Some(slot) = slots.get_mut(item as usize) {
                    *slot = position as u32;
                }
            }
            return Self::Dense(slots);
        }
        let mut by_item: Vec<(u32, usize)> = candidates
            .iter()
            .enumerate()
            .map(|(position, &item)| (item, position))
            .collect();
        by_item.sort_unstable();
        by_item.dedup_by_key(|(item, _)| *item);
        Self::Sorted(by_item)
    }

    /// The position of `item` among the candidates, if it is one.
    pub fn get(&self, item: u32) -> Option<usize> {
        match self {
            Self::Sorted(by_item) => by_item
                .binary_search_by_key(&item, |(i, _)| *i)
                .ok()
                .and_then(|at| by_item.get(at))
                .map(|(_, position)| *position),
            Self::Dense(slots) => slots
                .get(item as usize)
                .filter(|&&p| p != u32::MAX)
                .map(|&p| p as usize),
        }
    }
}

/// A set of item indices left out of a list. A few exclusions (a
/// customer's history, at serving time) are kept sorted and looked up by
/// binary search, so building and asking the set costs what it holds, not
/// the size of the catalogue; many (an evaluation leaving out every item
/// outside the training data) are kept as a bitmap over the catalogue, one
/// bit per item, which is then cheaper than sorting them.
#[derive(Debug, Clone)]
pub enum Exclusion {
    /// Sorted, without duplicates.
    Sorted(Vec<u32>),
    /// One bit per item of the catalogue (item `i` is bit `i % 64` of word
    /// `i / 64`): an evaluation builds one per customer and list, so it
    /// zeroes an eighth of what a byte per item would.
    Bitmap(Vec<u64>),
}

impl Default for Exclusion {
    fn default() -> Self {
        Self::Sorted(Vec::new())
    }
}

/// Exclusions per catalogue item above which a bitmap is built instead of
/// a sorted list: sorting `e` items costs about `e log e` comparisons, a
/// bitmap `n / 64` zeroed words and `e` bits, and its lookups are one load
/// instead of a binary search.
const BITMAP_SHARE: usize = 256;

impl Exclusion {
    /// The items of `exclude` (indices at or past `n_items` are ignored).
    pub fn new(n_items: usize, exclude: &[u32]) -> Self {
        if exclude.len().saturating_mul(BITMAP_SHARE) >= n_items {
            let mut words = vec![0u64; n_items.div_ceil(64)];
            // Items of one word in a row (the exclusions of an evaluation
            // come sorted) are gathered in a register and stored once.
            for run in exclude.chunk_by(|a, b| a / 64 == b / 64) {
                let bits = run.iter().fold(0u64, |bits, &i| bits | 1 << (i % 64));
                if let Some(word) = words.get_mut(run[0] as usize / 64) {
                    *word |= bits;
                }
            }
            // Indices past the catalogue's end are not held.
            if let Some(last) = words.last_mut()
                && !n_items.is_multiple_of(64)
            {
                *last &= (1u64 << (n_items % 64)) - 1;
            }
            return Self::Bitmap(words);
        }
        let mut sorted: Vec<u32> = exclude
            .iter()
            .copied()
            .filter(|&i| (i as usize) < n_items)
            .collect();
        sorted.sort_unstable();
        sorted.dedup();
        Self::Sorted(sorted)
    }

    /// Whether `item` is excluded.
    pub fn contains(&self, item: u32) -> bool {
        match self {
            Self::Sorted(sorted) => sorted.binary_search(&item).is_ok(),
            Self::Bitmap(words) => words
                .get(item as usize / 64)
                .is_some_and(|word| word & (1 << (item % 64)) != 0),
        }
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
        for n_items in [6, 100_000] {
            let slots = CandidateSlots::new(&[5, 1, 5], n_items);
            let found: Vec<Option<usize>> = (0..7).map(|i| slots.get(i)).collect();
            assert_eq!(found, vec![None, Some(1), None, None, None, Some(0), None]);
        }
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
    fn sparse_scores_rank_as_their_dense_vector() {
        // Mostly zeros, some ties and negatives, a few exact zeros among the
        // touched items, and exclusions over all three kinds.
        let n = 300;
        let scores: Vec<f64> = (0..n as u32)
            .map(|i| match (i * 7919) % 11 {
                0 => 1.5,
                1 => f64::from(i % 5),
                2 => -0.5,
                _ => 0.0,
            })
            .collect();
        let touched: Vec<(u32, f64)> = (0..n as u32)
            .rev()
            .filter(|&i| (i * 7919) % 11 <= 2)
            .map(|i| (i, scores[i as usize]))
            .collect();
        let exclude: Vec<u32> = (0..n as u32).filter(|i| i % 9 == 0).collect();
        let excluded = Exclusion::new(n, &exclude);
        for k in [0, 1, 10, 40, 150, 299, 400] {
            let sparse = top_k_scored(
                touched.iter().copied().filter(|(_, s)| *s != 0.0),
                |i| scores[i],
                n,
                k,
                &excluded,
            );
            assert_eq!(sparse, top_k_dense(&scores, k, &excluded), "k = {k}");
        }
    }

    #[test]
    fn both_forms_of_exclusion_hold_the_same_items() {
        let few = Exclusion::new(10_000, &[7, 3, 7, 20_000]);
        let many_items: Vec<u32> = (0..200).map(|i| i * 3).chain([5000]).collect();
        let many = Exclusion::new(1000, &many_items);
        assert!(matches!(few, Exclusion::Sorted(_)));
        assert!(matches!(many, Exclusion::Bitmap(_)));
        assert!(few.contains(3) && few.contains(7) && !few.contains(4) && !few.contains(20_000));
        assert!(many.contains(0) && many.contains(597) && !many.contains(598));
        assert!(!many.contains(5000) && !many.contains(600));
        // Either side of a word's edge, and past the catalogue's last item.
        assert!(many.contains(63) && !many.contains(64) && !many.contains(999));
        let edge = Exclusion::new(
            130,
            &(0..130).step_by(2).chain([1023]).collect::<Vec<u32>>(),
        );
        assert!(matches!(edge, Exclusion::Bitmap(_)));
        assert!(edge.contains(128) && !edge.contains(129) && !edge.contains(1023));
        let past_the_end = Exclusion::new(130, &(100..140).collect::<Vec<u32>>());
        assert!(matches!(past_the_end, Exclusion::Bitmap(_)));
        assert!(past_the_end.contains(129) && !past_the_end.contains(130));
        assert!(!past_the_end.contains(139) && !past_the_end.contains(99));
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
