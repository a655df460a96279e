//! Popularity bias of recommendation lists: how much of what an engine
//! recommends goes to the items that are already the most popular in train.

use serde::Serialize;

use crate::data::Interaction;

/// How strongly the recommended lists lean towards popular items.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PopularityBias {
    /// The 1 % most popular train items (at least one) that `top_share` counts.
    pub top_items: usize,
    /// Share of all recommended slots that go to those `top_items` items.
    pub top_share: f64,
    /// Mean popularity percentile of the recommended items over all slots
    /// (0 = least, 100 = most interactions in train).
    pub mean_percentile: f64,
}

/// Train popularity of every item, and the slots of the lists measured so far.
#[derive(Debug, Clone)]
pub struct PopularityAccumulator {
    /// Percentile of each item; `None` for items without a train interaction.
    percentile: Vec<Option<f64>>,
    /// Whether each item is among the `top_items` most popular.
    top: Vec<bool>,
    top_items: usize,
    slots: usize,
    top_slots: usize,
    percentile_sum: f64,
}

impl PopularityAccumulator {
    /// Counts the train interactions of each of `n_items` items.
    ///
    /// Train items are ranked by count, ties given the mean of their ranks;
    /// rank r of n maps to the percentile 100 (r - 1) / (n - 1) (100 when n
    /// is 1). The top set is the max(1, n / 100) items of highest count, ties
    /// broken by the smaller item index.
    pub fn new(train: &[Interaction], n_items: usize) -> Self {
        let mut counts = vec![0usize; n_items];
        for x in train {
            if let Some(c) = counts.get_mut(x.item as usize) {
                *c += 1;
            }
        }
        let mut order: Vec<usize> = (0..n_items).filter(|&i| counts[i] > 0).collect();
        order.sort_by_key(|&i| (counts[i], std::cmp::Reverse(i)));
        let n = order.len();
        let mut percentile = vec![None; n_items];
        // Items ranked before the current group of tied counts.
        let mut before = 0usize;
        for group in order.chunk_by(|&a, &b| counts[a] == counts[b]) {
            // The tied ranks before + 1 ..= before + len have this mean.
            let mean_rank = before as f64 + (group.len() + 1) as f64 / 2.0;
            before += group.len();
            let value = if n == 1 {
                100.0
            } else {
                100.0 * (mean_rank - 1.0) / (n - 1) as f64
            };
            for &i in group {
                percentile[i] = Some(value);
            }
        }
        let top_items = if n == 0 { 0 } else { (n / 100).max(1) };
        let mut top = vec![false; n_items];
        for &i in order.iter().rev().take(top_items) {
            top[i] = true;
        }
        Self {
            percentile,
            top,
            top_items,
            slots: 0,
            top_slots: 0,
            percentile_sum: 0.0,
        }
    }

    /// Adds the slots of one list; an item without train interactions counts
    /// as percentile 0.
    pub fn add(&mut self, list: &[u32]) {
        for &item in list {
            let i = item as usize;
            self.slots += 1;
            self.top_slots += usize::from(self.top.get(i).copied().unwrap_or(false));
            self.percentile_sum += self.percentile.get(i).copied().flatten().unwrap_or(0.0);
        }
    }

    /// The bias over every slot added; shares are 0 when no slot was added.
    pub fn finish(&self) -> PopularityBias {
        let slots = self.slots.max(1) as f64;
        PopularityBias {
            top_items: self.top_items,
            top_share: self.top_slots as f64 / slots,
            mean_percentile: self.percentile_sum / slots,
        }
    }
}
