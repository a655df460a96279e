//! Histograms of gradient statistics per bin and the search for the best
//! split of a node: a threshold on a numeric feature's bins with the missing
//! bin sent to the better side, or a partition of a categorical feature's
//! bins found by sorting them by their statistics (Fisher 1958, as LightGBM).

use serde::{Deserialize, Serialize};

use crate::bins::{BinnedRows, MISSING_BIN};

/// Sums over the rows of a node or bin: first-order statistic `g`, second
/// `h`, and the row count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Sum of gradients (log-loss boosting), or of positive labels (CART).
    pub g: f64,
    /// Sum of hessians (boosting), or of row weights (CART).
    pub h: f64,
    /// Number of rows.
    pub n: u32,
}

impl Stats {
    fn add(&mut self, other: Stats) {
        self.g += other.g;
        self.h += other.h;
        self.n += other.n;
    }

    fn minus(self, other: Stats) -> Stats {
        Stats {
            g: self.g - other.g,
            h: self.h - other.h,
            n: self.n.saturating_sub(other.n),
        }
    }
}

/// How good a node is; a split's gain is its children's score minus its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Criterion {
    /// Second-order boosting: score `G^2 / (H + lambda)`.
    Newton {
        /// L2 regularisation of leaf values.
        lambda: f64,
    },
    /// CART with `g` = positives and `h` = rows: minus the rows times the Gini impurity.
    Gini,
    /// CART: minus the rows times the entropy (the log loss of the node's share).
    Entropy,
}

/// `x ln x`, with `0 ln 0 = 0`.
fn x_ln_x(x: f64) -> f64 {
    if x > 0.0 { x * x.ln() } else { 0.0 }
}

impl Criterion {
    /// The score of a node with these statistics (higher is better).
    pub fn score(&self, s: Stats) -> f64 {
        match *self {
            Criterion::Newton { lambda } => s.g * s.g / (s.h + lambda),
            Criterion::Gini if s.h > 0.0 => -2.0 * s.g * (s.h - s.g) / s.h,
            Criterion::Entropy => x_ln_x(s.g) + x_ln_x(s.h - s.g) - x_ln_x(s.h),
            Criterion::Gini => 0.0,
        }
    }

    /// The key categories are ordered by before a partition is scanned: the
    /// (smoothed) leaf value direction `g / (h + smooth)`.
    fn order_key(&self, s: Stats, smooth: f64) -> f64 {
        s.g / (s.h + smooth).max(f64::MIN_POSITIVE)
    }
}

/// Constraints on the children of a split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitLimits {
    /// Fewest rows in a child.
    pub min_rows: u32,
    /// Smallest `h` sum in a child.
    pub min_weight: f64,
    /// Smallest gain worth splitting for.
    pub min_gain: f64,
    /// Added to `h` when ordering categories, so rare ones do not lead.
    pub category_smoothing: f64,
}

/// Which present bins go left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rule {
    /// Present bins `1..=b` go left (the values below the feature's `b`-th cut point).
    Below(u16),
    /// These bins (sorted) go left, the missing bin among them when it goes left.
    In(Vec<u16>),
}

/// A split of a node: feature, rule, where missing values go, gain and children statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The feature index.
    pub feature: usize,
    /// Which bins go left.
    pub rule: Rule,
    /// Whether the missing bin goes left.
    pub missing_left: bool,
    /// Score of the children minus the node's.
    pub gain: f64,
    /// Statistics of the left child.
    pub left: Stats,
    /// Statistics of the right child.
    pub right: Stats,
}

impl Rule {
    /// Whether a row in `bin` goes left (`missing_left` decides for the missing bin).
    pub fn goes_left(&self, bin: u16, missing_left: bool) -> bool {
        match self {
            _ if bin == MISSING_BIN => missing_left,
            Rule::Below(b) => bin <= *b,
            Rule::In(bins) => bins.binary_search(&bin).is_ok(),
        }
    }
}

/// Bins per feature and which features are categorical.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    offsets: Vec<usize>,
    categorical: Vec<bool>,
}

impl Layout {
    /// The layout of features with these bin counts and kinds.
    pub fn new(bins: &[(usize, bool)]) -> Layout {
        let mut offsets = vec![0];
        for (n, _) in bins {
            offsets.push(offsets[offsets.len() - 1] + n);
        }
        Layout {
            offsets,
            categorical: bins.iter().map(|(_, c)| *c).collect(),
        }
    }

    fn features(&self) -> usize {
        self.categorical.len()
    }
}

/// Statistics per bin of every feature over the rows of one node.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    bins: Vec<Stats>,
}

impl Histogram {
    /// Sums `g` and `h` of `rows` by bin, feature by feature.
    pub fn build(layout: &Layout, data: &BinnedRows, rows: &[u32], g: &[f64], h: &[f64]) -> Self {
        let mut bins = vec![Stats::default(); layout.offsets[layout.features()]];
        for feature in 0..layout.features() {
            let column = data.column(feature);
            let hist = &mut bins[layout.offsets[feature]..layout.offsets[feature + 1]];
            for &row in rows {
                let row = row as usize;
                let s = &mut hist[usize::from(column[row])];
                s.g += g[row];
                s.h += h[row];
                s.n += 1;
            }
        }
        Histogram { bins }
    }

    /// The histogram of a node's other child: this (the parent's) minus `child`.
    pub fn minus(&self, child: &Histogram) -> Histogram {
        let bins = self
            .bins
            .iter()
            .zip(&child.bins)
            .map(|(p, c)| p.minus(*c))
            .collect();
        Histogram { bins }
    }

    /// The best split of a node with statistics `parent` over every feature
    /// (ties keep the first feature and bin), or `None` when no split gains.
    pub fn best_split(
        &self,
        layout: &Layout,
        parent: Stats,
        criterion: &Criterion,
        limits: &SplitLimits,
    ) -> Option<Split> {
        let mut best: Option<Split> = None;
        for feature in 0..layout.features() {
            let hist = &self.bins[layout.offsets[feature]..layout.offsets[feature + 1]];
            let mut search = Search {
                feature,
                parent,
                base: criterion.score(parent),
                criterion,
                limits,
                best: &mut best,
            };
            if layout.categorical[feature] {
                search.categorical(hist);
            } else {
                search.numeric(hist);
            }
        }
        best
    }
}

/// The split search over one feature, keeping the best split found so far.
struct Search<'a> {
    feature: usize,
    parent: Stats,
    base: f64,
    criterion: &'a Criterion,
    limits: &'a SplitLimits,
    best: &'a mut Option<Split>,
}

impl Search<'_> {
    fn allowed(&self, s: Stats) -> bool {
        s.n >= self.limits.min_rows && s.h >= self.limits.min_weight
    }

    /// Keeps the split when both children are allowed and it gains most.
    fn offer(&mut self, left: Stats, rule: impl FnOnce() -> Rule, missing_left: bool) {
        let right = self.parent.minus(left);
        if !self.allowed(left) || !self.allowed(right) {
            return;
        }
        let gain = self.criterion.score(left) + self.criterion.score(right) - self.base;
        let floor = self.best.as_ref().map_or(self.limits.min_gain, |b| b.gain);
        if gain > floor {
            *self.best = Some(Split {
                feature: self.feature,
                rule: rule(),
                missing_left,
                gain,
                left,
                right,
            });
        }
    }

    /// Thresholds between present bins, missing values tried on both sides;
    /// when the node has none, they follow the child with more rows.
    fn numeric(&mut self, hist: &[Stats]) {
        let missing = hist[usize::from(MISSING_BIN)];
        let mut below = Stats::default();
        let present = hist.len().saturating_sub(1);
        for (b, stats) in hist.iter().enumerate().take(present).skip(1) {
            below.add(*stats);
            let bin = b as u16;
            if missing.n == 0 {
                let above = self.parent.minus(below);
                self.offer(below, || Rule::Below(bin), below.n >= above.n);
                continue;
            }
            self.offer(below, || Rule::Below(bin), false);
            let mut with_missing = below;
            with_missing.add(missing);
            self.offer(with_missing, || Rule::Below(bin), true);
        }
    }

    /// Bins present in the node (missing among them), sorted by their
    /// smoothed value direction; every prefix of that order is a candidate left set.
    fn categorical(&mut self, hist: &[Stats]) {
        let smooth = self.limits.category_smoothing;
        let mut order: Vec<u16> = (0..hist.len() as u16)
            .filter(|&b| hist[usize::from(b)].n > 0)
            .collect();
        let key = |b: &u16| self.criterion.order_key(hist[usize::from(*b)], smooth);
        order.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.cmp(b)));
        let mut left = Stats::default();
        for k in 1..order.len() {
            left.add(hist[usize::from(order[k - 1])]);
            let prefix = &order[..k];
            let rule = || {
                let mut bins = prefix.to_vec();
                bins.sort_unstable();
                Rule::In(bins)
            };
            self.offer(left, rule, prefix.contains(&MISSING_BIN));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(g: f64, h: f64, n: u32) -> Stats {
        Stats { g, h, n }
    }

    fn limits() -> SplitLimits {
        SplitLimits {
            min_rows: 1,
            min_weight: 0.0,
            min_gain: 1e-12,
            category_smoothing: 0.0,
        }
    }

    #[test]
    fn scores_by_hand() {
        let s = stats(3.0, 4.0, 4);
        assert_eq!(Criterion::Newton { lambda: 2.0 }.score(s), 1.5);
        // Gini of 3/4: 2 * 3/4 * 1/4 = 0.375, times 4 rows.
        assert!((Criterion::Gini.score(s) + 1.5).abs() < 1e-12);
        let entropy = -(3.0 * (0.75f64).ln() + (0.25f64).ln());
        assert!((Criterion::Entropy.score(s) + entropy).abs() < 1e-12);
        assert_eq!(Criterion::Entropy.score(stats(2.0, 2.0, 2)), 0.0);
    }

    #[test]
    fn numeric_split_sends_missing_to_the_better_side() {
        // Bins: missing (2 positives), 1 (2 negatives), 2 (2 positives), 3 (1 positive).
        let layout = Layout::new(&[(4, false)]);
        let hist = Histogram {
            bins: vec![
                stats(2.0, 2.0, 2),
                stats(0.0, 2.0, 2),
                stats(2.0, 2.0, 2),
                stats(1.0, 1.0, 1),
            ],
        };
        let parent = stats(5.0, 7.0, 7);
        let split = hist
            .best_split(&layout, parent, &Criterion::Gini, &limits())
            .unwrap();
        assert_eq!(split.rule, Rule::Below(1));
        assert!(!split.missing_left);
        assert_eq!(
            (split.left, split.right),
            (stats(0.0, 2.0, 2), stats(5.0, 5.0, 5))
        );
        // Perfect split: the parent's impurity 2 * 5 * 2 / 7 is all gained.
        assert!((split.gain - 20.0 / 7.0).abs() < 1e-12);
        assert!(split.rule.goes_left(1, split.missing_left));
        assert!(!split.rule.goes_left(MISSING_BIN, split.missing_left));
        let strict = SplitLimits {
            min_rows: 3,
            ..limits()
        };
        let split = hist
            .best_split(&layout, parent, &Criterion::Gini, &strict)
            .unwrap();
        // Only {missing, 1} | {2, 3} and {1, 2} | {missing, 3} keep three rows a side.
        assert!(split.left.n >= 3 && split.right.n >= 3);
    }

    #[test]
    fn categorical_split_groups_levels_by_their_share() {
        // Levels 1 and 3 are positive, 2 and 4 negative; no missing rows.
        let layout = Layout::new(&[(5, true)]);
        let hist = Histogram {
            bins: vec![
                Stats::default(),
                stats(3.0, 3.0, 3),
                stats(0.0, 2.0, 2),
                stats(2.0, 2.0, 2),
                stats(0.0, 1.0, 1),
            ],
        };
        let split = hist
            .best_split(&layout, stats(5.0, 8.0, 8), &Criterion::Entropy, &limits())
            .unwrap();
        assert_eq!(split.rule, Rule::In(vec![2, 4]));
        assert_eq!(split.left, stats(0.0, 3.0, 3));
        let parent = Histogram::build(
            &layout,
            &BinnedRows::new(vec![vec![1, 2, 3]]),
            &[0, 1, 2],
            &[1.0, 0.0, 1.0],
            &[1.0, 1.0, 1.0],
        );
        let child = Histogram::build(
            &layout,
            &BinnedRows::new(vec![vec![1, 2, 3]]),
            &[1],
            &[1.0, 0.0, 1.0],
            &[1.0, 1.0, 1.0],
        );
        let other = parent.minus(&child);
        assert_eq!(other.bins[1], stats(1.0, 1.0, 1));
        assert_eq!(other.bins[2], Stats::default());
    }
}
