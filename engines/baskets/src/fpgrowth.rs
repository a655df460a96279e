//! FP-growth: every itemset contained in at least `ceil(min_support * N)` of
//! `N` baskets, with its exact count, up to a maximum length.
//!
//! Items are ranked by count (descending, ties by item); each basket becomes
//! a path of its frequent items in rank order in an FP-tree. For each item,
//! the prefix paths of its nodes form its conditional pattern base, whose
//! frequent items extend the current itemset and form the next, smaller
//! tree. A tree that is a single chain yields all combinations of its nodes
//! at once; at the last allowed length the base's item counts are the
//! answer and no tree is built.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::BasketError;
use crate::fraction::Fraction;
use crate::tree::{Path, Tree};

/// Settings of a mining run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiningConfig {
    /// An itemset is frequent when in at least `ceil(min_support * N)` baskets (at least 1).
    pub min_support: Fraction,
    /// Longest itemset mined (at least 1).
    pub max_len: usize,
    /// Mining fails, naming the threshold to raise, beyond this many itemsets.
    pub max_itemsets: usize,
}

/// A frequent itemset and the number of baskets containing all its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Itemset {
    /// Its items, ascending.
    pub items: Vec<u32>,
    /// n(S): baskets containing every item.
    pub count: u32,
}

/// The result of a mining run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrequentItemsets {
    /// N: baskets mined (empty ones included).
    pub n_baskets: u32,
    /// The count threshold `max(1, ceil(min_support * N))`.
    pub min_count: u32,
    /// Every frequent itemset, by length, then items.
    pub itemsets: Vec<Itemset>,
}

impl FrequentItemsets {
    /// Number of itemsets of each length: element `i` counts length `i + 1`.
    pub fn count_by_size(&self) -> Vec<usize> {
        let mut sizes = Vec::new();
        for set in &self.itemsets {
            let len = set.items.len();
            if sizes.len() < len {
                sizes.resize(len, 0);
            }
            if let Some(n) = len.checked_sub(1).and_then(|i| sizes.get_mut(i)) {
                *n += 1;
            }
        }
        sizes
    }
}

/// The count threshold for `min_support` over `n` baskets: `ceil(min_support * n)`, at least 1.
pub fn min_count(min_support: Fraction, n: u32) -> u32 {
    u32::try_from(min_support.ceil_times(u64::from(n)))
        .unwrap_or(u32::MAX)
        .max(1)
}

/// Mines the frequent itemsets of `baskets` (each a set of item indices;
/// duplicates within a basket count once).
pub fn frequent_itemsets<B: AsRef<[u32]>>(
    baskets: &[B],
    config: &MiningConfig,
) -> Result<FrequentItemsets, BasketError> {
    if config.max_len == 0 {
        return Err(BasketError::OutOfRange {
            name: "max_len",
            message: "must be at least 1".into(),
        });
    }
    let n_baskets = u32::try_from(baskets.len())
        .map_err(|_| BasketError::TooLarge(format!("{} baskets", baskets.len())))?;
    let min = min_count(config.min_support, n_baskets);
    let dense = DenseItems::new(baskets);
    let counts = dense.counts(baskets);
    // Frequent items, most frequent first, ties by item.
    let mut ranked: Vec<u32> = (0..counts.len() as u32)
        .filter(|&d| counts.get(d as usize).is_some_and(|&c| c >= min))
        .collect();
    ranked.sort_unstable_by_key(|&d| {
        (
            std::cmp::Reverse(counts.get(d as usize).copied()),
            dense.original(d),
        )
    });
    let mut rank_of = vec![u32::MAX; counts.len()];
    for (rank, &d) in ranked.iter().enumerate() {
        if let Some(r) = rank_of.get_mut(d as usize) {
            *r = rank as u32;
        }
    }
    // Every basket as a path of its frequent items' ranks, ascending.
    let mut buf: Vec<u32> = Vec::new();
    let mut paths: Vec<Path> = Vec::new();
    for basket in baskets {
        let start = buf.len();
        buf.extend(
            basket
                .as_ref()
                .iter()
                .filter_map(|&item| rank_of.get(dense.index(item)? as usize).copied())
                .filter(|&r| r != u32::MAX),
        );
        if let Some(path) = buf.get_mut(start..) {
            path.sort_unstable();
        }
        let mut len = 0;
        for i in start..buf.len() {
            if len == 0 || buf.get(i) != buf.get(start + len - 1) {
                buf.swap(start + len, i);
                len += 1;
            }
        }
        buf.truncate(start + len);
        if len > 0 {
            paths.push(Path {
                start,
                len,
                weight: 1,
            });
        }
    }
    let tree = Tree::build((0..ranked.len() as u32).collect(), &buf, &mut paths);
    drop(buf);
    let mut miner = Miner {
        min,
        config,
        n_baskets,
        item_of_rank: ranked.iter().map(|&d| dense.original(d)).collect(),
        out: Vec::new(),
    };
    miner.mine(&tree, &mut Vec::new())?;
    let mut itemsets = miner.out;
    itemsets.sort_unstable_by(|a, b| (a.items.len(), &a.items).cmp(&(b.items.len(), &b.items)));
    Ok(FrequentItemsets {
        n_baskets,
        min_count: min,
        itemsets,
    })
}

/// Item indices made dense for counting: the identity when the largest
/// index is small next to the data, a lookup table otherwise.
struct DenseItems {
    sparse: Option<(HashMap<u32, u32>, Vec<u32>)>,
    len: usize,
}

impl DenseItems {
    fn new<B: AsRef<[u32]>>(baskets: &[B]) -> Self {
        let total: usize = baskets.iter().map(|b| b.as_ref().len()).sum();
        let max = baskets.iter().flat_map(|b| b.as_ref()).copied().max();
        match max {
            None => Self {
                sparse: None,
                len: 0,
            },
            Some(m) if (m as usize) < (1 << 20).max(2 * total) => Self {
                sparse: None,
                len: m as usize + 1,
            },
            Some(_) => {
                let mut map = HashMap::new();
                let mut originals = Vec::new();
                for &item in baskets.iter().flat_map(|b| b.as_ref()) {
                    map.entry(item).or_insert_with(|| {
                        originals.push(item);
                        originals.len() as u32 - 1
                    });
                }
                let len = originals.len();
                Self {
                    sparse: Some((map, originals)),
                    len,
                }
            }
        }
    }

    fn index(&self, item: u32) -> Option<u32> {
        match &self.sparse {
            None => Some(item),
            Some((map, _)) => map.get(&item).copied(),
        }
    }

    fn original(&self, dense: u32) -> u32 {
        match &self.sparse {
            None => dense,
            Some((_, originals)) => originals.get(dense as usize).copied().unwrap_or(dense),
        }
    }

    /// Baskets containing each dense item (a basket's duplicates count once).
    fn counts<B: AsRef<[u32]>>(&self, baskets: &[B]) -> Vec<u32> {
        let mut counts = vec![0u32; self.len];
        let mut seen = vec![u32::MAX; self.len];
        for (b, basket) in baskets.iter().enumerate() {
            for &item in basket.as_ref() {
                let Some(d) = self.index(item) else { continue };
                if let (Some(s), Some(c)) = (seen.get_mut(d as usize), counts.get_mut(d as usize))
                    && *s != b as u32
                {
                    *s = b as u32;
                    *c += 1;
                }
            }
        }
        counts
    }
}

/// The state of one run: thresholds, the rank-to-item table and the output.
struct Miner<'c> {
    min: u32,
    config: &'c MiningConfig,
    n_baskets: u32,
    item_of_rank: Vec<u32>,
    out: Vec<Itemset>,
}

impl Miner<'_> {
    /// Records `ranks` (global ranks) as a frequent itemset.
    fn emit(&mut self, ranks: &[u32], count: u32) -> Result<(), BasketError> {
        if self.out.len() >= self.config.max_itemsets {
            return Err(BasketError::TooManyItemsets {
                limit: self.config.max_itemsets,
                min_support: self.config.min_support.to_f64().to_string(),
                min_count: u64::from(self.min),
                n_baskets: u64::from(self.n_baskets),
                max_len: self.config.max_len,
            });
        }
        let mut items: Vec<u32> = ranks
            .iter()
            .map(|&r| self.item_of_rank.get(r as usize).copied().unwrap_or(r))
            .collect();
        items.sort_unstable();
        self.out.push(Itemset { items, count });
        Ok(())
    }

    /// Emits `suffix` extended by every frequent itemset of `tree`.
    fn mine(&mut self, tree: &Tree, suffix: &mut Vec<u32>) -> Result<(), BasketError> {
        if tree.is_single_path() {
            let labels: Vec<u32> = tree.item.iter().skip(1).map(|&i| label(tree, i)).collect();
            let counts: Vec<u32> = tree.count.iter().skip(1).copied().collect();
            let room = self.config.max_len.saturating_sub(suffix.len());
            return self.combinations(&labels, &counts, 0, suffix, room);
        }
        let n = tree.n_items();
        let mut base_count = vec![0u32; n];
        let mut local = vec![u32::MAX; n];
        let mut touched: Vec<u32> = Vec::new();
        for x in 0..n {
            let support = tree.support.get(x).copied().unwrap_or(0);
            suffix.push(label(tree, x as u32));
            self.emit(suffix, support)?;
            if suffix.len() < self.config.max_len {
                self.extend(tree, x, suffix, &mut base_count, &mut local, &mut touched)?;
            }
            suffix.pop();
        }
        Ok(())
    }

    /// Mines the conditional pattern base of local item `x` (already on `suffix`).
    fn extend(
        &mut self,
        tree: &Tree,
        x: usize,
        suffix: &mut Vec<u32>,
        base_count: &mut [u32],
        local: &mut [u32],
        touched: &mut Vec<u32>,
    ) -> Result<(), BasketError> {
        let nodes = tree.nodes_of(x);
        for &v in nodes {
            let w = tree.count.get(v as usize).copied().unwrap_or(0);
            for y in tree.ancestors(v) {
                if let Some(c) = base_count.get_mut(y as usize) {
                    if *c == 0 {
                        touched.push(y);
                    }
                    *c += w;
                }
            }
        }
        let mut frequent: Vec<u32> = touched
            .iter()
            .copied()
            .filter(|&y| base_count.get(y as usize).is_some_and(|&c| c >= self.min))
            .collect();
        frequent.sort_unstable();
        let result = if frequent.is_empty() {
            Ok(())
        } else if suffix.len() + 1 == self.config.max_len {
            // The last level: the base's counts are the itemsets' counts.
            frequent.iter().try_for_each(|&y| {
                let count = base_count.get(y as usize).copied().unwrap_or(0);
                suffix.push(label(tree, y));
                let done = self.emit(suffix, count);
                suffix.pop();
                done
            })
        } else {
            for (i, &y) in frequent.iter().enumerate() {
                if let Some(l) = local.get_mut(y as usize) {
                    *l = i as u32;
                }
            }
            let mut buf = Vec::new();
            let mut paths = Vec::new();
            for &v in nodes {
                let start = buf.len();
                buf.extend(
                    tree.ancestors(v)
                        .filter_map(|y| local.get(y as usize).copied())
                        .filter(|&l| l != u32::MAX),
                );
                if buf.len() > start {
                    if let Some(path) = buf.get_mut(start..) {
                        path.reverse();
                    }
                    let weight = tree.count.get(v as usize).copied().unwrap_or(0);
                    paths.push(Path {
                        start,
                        len: buf.len() - start,
                        weight,
                    });
                }
            }
            for &y in &frequent {
                if let Some(l) = local.get_mut(y as usize) {
                    *l = u32::MAX;
                }
            }
            let labels = frequent.iter().map(|&y| label(tree, y)).collect();
            let conditional = Tree::build(labels, &buf, &mut paths);
            drop(buf);
            self.mine(&conditional, suffix)
        };
        for &y in touched.iter() {
            if let Some(c) = base_count.get_mut(y as usize) {
                *c = 0;
            }
        }
        touched.clear();
        result
    }

    /// Emits `chosen` extended by every combination of at most `room` nodes
    /// of a chain from position `from` on; a combination's count is that of its deepest node.
    fn combinations(
        &mut self,
        labels: &[u32],
        counts: &[u32],
        from: usize,
        chosen: &mut Vec<u32>,
        room: usize,
    ) -> Result<(), BasketError> {
        if room == 0 {
            return Ok(());
        }
        for (i, (&l, &c)) in labels.iter().zip(counts).enumerate().skip(from) {
            chosen.push(l);
            let done = self
                .emit(chosen, c)
                .and_then(|()| self.combinations(labels, counts, i + 1, chosen, room - 1));
            chosen.pop();
            done?;
        }
        Ok(())
    }
}

/// The global rank of local item `local` of `tree`.
fn label(tree: &Tree, local: u32) -> u32 {
    tree.label.get(local as usize).copied().unwrap_or(u32::MAX)
}
