//! Top-k cosine neighbours of the rows (or columns) of a sparse matrix,
//! computed one sparse product row at a time, so no dense n x n matrix is
//! ever held.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sprs::CsMat;

use crate::matrix::{SparseAccumulator, lane, with_scratch};
use crate::ranking::{CandidateSlots, Exclusion, top_k_pairs, top_k_scored};

/// One object's neighbours with their similarities.
type List = Vec<(u32, f64)>;

/// Objects per unit of work handed to a thread.
const BLOCK: usize = 256;

/// Each object's nearest neighbours, best first (similarity descending, then index).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Neighbours {
    offsets: Vec<usize>,
    indices: Vec<u32>,
    similarities: Vec<f64>,
}

impl Neighbours {
    /// Number of objects.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The neighbours of `object` and their similarities; empty when out of range.
    pub fn of(&self, object: usize) -> (&[u32], &[f64]) {
        match (self.offsets.get(object), self.offsets.get(object + 1)) {
            (Some(&start), Some(&end)) => (
                self.indices.get(start..end).unwrap_or(&[]),
                self.similarities.get(start..end).unwrap_or(&[]),
            ),
            _ => (&[], &[]),
        }
    }

    /// The best `k` objects for a history (object indices and weights), each
    /// history object adding weight x similarity to its own list ("push"),
    /// ranked as [`crate::ranking::top_k_dense`] ranks the full score vector (zeros fill a
    /// short list by index). The scores are gathered in this thread's scratch
    /// accumulator, so the work is bounded by the lists the history touches
    /// and `k`, not by the number of objects.
    pub fn push_top_k(
        &self,
        items: &[usize],
        weights: &[f64],
        k: usize,
        excluded: &Exclusion,
    ) -> Vec<(u32, f64)> {
        with_scratch(self.len(), |acc| {
            for (&i, &w) in items.iter().zip(weights) {
                let (similar, sims) = self.of(i);
                for (&j, &s) in similar.iter().zip(sims) {
                    acc.add(j as usize, w * s);
                }
            }
            let nonzero = acc
                .touched()
                .filter(|(_, s)| *s != 0.0)
                .map(|(j, s)| (j as u32, s));
            top_k_scored(nonzero, |j| acc.value(j), self.len(), k, excluded)
        })
    }

    /// What each history object adds to the score of each of `candidates`
    /// under [`Neighbours::push_top_k`]: one pass over the same lists,
    /// keeping the pairs that land on a candidate.
    pub fn push_contributions(
        &self,
        candidates: &[u32],
        items: &[usize],
        weights: &[f64],
    ) -> Vec<Vec<(u32, f64)>> {
        let slots = CandidateSlots::new(candidates, self.len());
        let mut out = vec![Vec::new(); candidates.len()];
        for (&i, &w) in items.iter().zip(weights) {
            let (similar, sims) = self.of(i);
            for (&j, &s) in similar.iter().zip(sims) {
                if let Some(position) = slots.get(j)
                    && let Some(pairs) = out.get_mut(position)
                {
                    pairs.push((i as u32, w * s));
                }
            }
        }
        out
    }

    /// The reverse lists: object `b` lists every `a` whose list holds `b`,
    /// with the same similarity, by `a` ascending.
    pub fn transpose(&self) -> Neighbours {
        let n = self.len();
        let mut counts = vec![0usize; n + 1];
        for &b in &self.indices {
            if let Some(c) = counts.get_mut(b as usize + 1) {
                *c += 1;
            }
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut next = counts;
        let mut indices = vec![0u32; self.indices.len()];
        let mut similarities = vec![0.0; self.similarities.len()];
        for a in 0..n {
            let (list, sims) = self.of(a);
            for (&b, &s) in list.iter().zip(sims) {
                if let Some(slot) = next.get_mut(b as usize) {
                    indices[*slot] = a as u32;
                    similarities[*slot] = s;
                    *slot += 1;
                }
            }
        }
        Neighbours {
            offsets,
            indices,
            similarities,
        }
    }
}

/// For every outer lane `a` of `by_object` (the objects: columns of a CSC
/// matrix for items, rows of a CSR matrix for customers), keeps the `k` other
/// objects `b` with the highest positive similarity
/// `c_ab / (sqrt(n_a * n_b) + shrink)`, where `c_ab` is the dot product of the
/// two lanes and `n` the squared norms. `by_other` is the same matrix in the
/// other storage order. Work is spread over the available cores.
pub fn cosine_neighbours(
    by_object: &CsMat<f64>,
    by_other: &CsMat<f64>,
    k: usize,
    shrink: f64,
) -> Neighbours {
    let n = by_object.outer_dims();
    let norms: Vec<f64> = (0..n)
        .map(|a| lane(by_object, a).1.iter().map(|v| v * v).sum())
        .collect();
    neighbour_lists(n, n, |a, acc| {
        neighbours_of(a, by_object, by_other, &norms, k, shrink, acc)
    })
}

/// Builds the lists of `n` objects, `list_of(a, acc)` giving object `a`'s
/// list best first (with a zeroed accumulator over `width` columns, to be
/// left drained). Work is spread over the available cores; the result does
/// not depend on their number.
pub fn neighbour_lists<F>(n: usize, width: usize, list_of: F) -> Neighbours
where
    F: Fn(usize, &mut SparseAccumulator) -> List + Sync,
{
    let blocks = n.div_ceil(BLOCK);
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Vec<List>)>> = Mutex::new(Vec::with_capacity(blocks));
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(blocks.max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut acc = SparseAccumulator::new(width);
                loop {
                    let block = next.fetch_add(1, Ordering::Relaxed);
                    if block >= blocks {
                        break;
                    }
                    let lists = (block * BLOCK..((block + 1) * BLOCK).min(n))
                        .map(|a| list_of(a, &mut acc))
                        .collect();
                    if let Ok(mut done) = done.lock() {
                        done.push((block, lists));
                    }
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_unstable_by_key(|(block, _)| *block);
    let mut out = Neighbours {
        offsets: vec![0],
        ..Default::default()
    };
    for list in done.into_iter().flat_map(|(_, lists)| lists) {
        for (b, s) in list {
            out.indices.push(b);
            out.similarities.push(s);
        }
        out.offsets.push(out.indices.len());
    }
    out
}

/// The top-k neighbours of one object, as [`cosine_neighbours`] would list
/// them, computed on demand (for serving `similar_items` without stored lists).
pub fn cosine_neighbours_of(
    a: usize,
    by_object: &CsMat<f64>,
    by_other: &CsMat<f64>,
    k: usize,
    shrink: f64,
) -> Vec<(u32, f64)> {
    let squared_norm = |b: usize| lane(by_object, b).1.iter().map(|v| v * v).sum::<f64>();
    let mut norms = vec![0.0; by_object.outer_dims()];
    let (others, _) = lane(by_object, a);
    for &u in others {
        for &b in lane(by_other, u).0 {
            if let Some(slot) = norms.get_mut(b)
                && *slot == 0.0
            {
                *slot = squared_norm(b);
            }
        }
    }
    if let Some(slot) = norms.get_mut(a) {
        *slot = squared_norm(a);
    }
    let mut acc = SparseAccumulator::new(by_object.outer_dims());
    neighbours_of(a, by_object, by_other, &norms, k, shrink, &mut acc)
}

fn neighbours_of(
    a: usize,
    by_object: &CsMat<f64>,
    by_other: &CsMat<f64>,
    norms: &[f64],
    k: usize,
    shrink: f64,
    acc: &mut SparseAccumulator,
) -> Vec<(u32, f64)> {
    let (others, weights) = lane(by_object, a);
    for (&u, &x) in others.iter().zip(weights) {
        let (objects, values) = lane(by_other, u);
        for (&b, &y) in objects.iter().zip(values) {
            acc.add(b, x * y);
        }
    }
    let n_a = norms.get(a).copied().unwrap_or(0.0);
    let mut candidates = Vec::new();
    acc.drain(|b, c| {
        let n_b = norms.get(b).copied().unwrap_or(0.0);
        let denominator = (n_a * n_b).sqrt() + shrink;
        if b != a && denominator > 0.0 {
            let s = c / denominator;
            if s > 0.0 {
                candidates.push((b as u32, s));
            }
        }
    });
    top_k_pairs(candidates, k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::{InteractionMatrix, MatrixOptions};
    use crate::testing::tiny_dataset;

    /// The similarity of `other` in `object`'s list, if kept.
    fn similarity(nb: &Neighbours, object: usize, other: u32) -> Option<f64> {
        let (indices, sims) = nb.of(object);
        indices
            .iter()
            .position(|&j| j == other)
            .and_then(|p| sims.get(p).copied())
    }

    #[test]
    fn item_neighbours_on_the_tiny_data() {
        let m = InteractionMatrix::build(
            &tiny_dataset(),
            MatrixOptions {
                binary: true,
                ..Default::default()
            },
        )
        .unwrap();
        // Item columns (customers): 0 {0,1}, 1 {0,1,2}, 2 {0}, 3 {2}, 4 {}.
        // cos(0,1) = 2/sqrt(6) = 0.8165, cos(0,2) = 1/sqrt(2) = 0.7071,
        // cos(1,2) = cos(1,3) = 1/sqrt(3) = 0.5774.
        let nb = cosine_neighbours(m.csc(), m.csr(), 2, 0.0);
        assert_eq!(nb.len(), 5);
        assert_eq!(nb.of(0).0, &[1, 2]);
        assert!((nb.of(0).1[0] - 2.0 / 6f64.sqrt()).abs() < 1e-12);
        // Items 2 and 3 tie with item 1; item 0 is closer.
        assert_eq!(nb.of(1).0, &[0, 2]);
        assert_eq!(nb.of(3).0, &[1]);
        assert!(nb.of(4).0.is_empty());
        assert_eq!(similarity(&nb, 2, 0), Some(1.0 / 2f64.sqrt()));
        assert_eq!(similarity(&nb, 2, 3), None);
        // Lists: 0 [1, 2], 1 [0, 2], 2 [0, 1], 3 [1]. Reverse: item 0 is
        // kept by items 1 and 2, item 1 by 0, 2 and 3.
        let reverse = nb.transpose();
        assert_eq!(reverse.of(0).0, &[1, 2]);
        assert_eq!(reverse.of(1).0, &[0, 2, 3]);
        assert_eq!(similarity(&reverse, 0, 2), similarity(&nb, 2, 0));
        assert_eq!(reverse.transpose().of(1), nb.of(1));
        // Shrinkage lowers every similarity: 2 / (sqrt 6 + 1).
        let shrunk = cosine_neighbours(m.csc(), m.csr(), 2, 1.0);
        assert!((shrunk.of(0).1[0] - 2.0 / (6f64.sqrt() + 1.0)).abs() < 1e-12);
        for item in 0..5 {
            let (idx, sims) = nb.of(item);
            let pairs: Vec<(u32, f64)> = idx.iter().copied().zip(sims.iter().copied()).collect();
            assert_eq!(cosine_neighbours_of(item, m.csc(), m.csr(), 2, 0.0), pairs);
        }
        // Customers: c0 {0,1,2}, c1 {0,1}, c2 {1,3}: cos(c0,c1) = 2/sqrt(6).
        let users = cosine_neighbours(m.csr(), m.csc(), 5, 0.0);
        assert_eq!(users.of(0).0, &[1, 2]);
        assert!(users.of(3).0.is_empty());
    }
}
