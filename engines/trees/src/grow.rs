//! Growing one tree, best split first (as LightGBM's leaf-wise growth),
//! within a depth and a leaf budget. Each split builds the histogram of the
//! smaller child and gets the larger one's by subtraction from the parent.

use crate::bins::BinnedRows;
use crate::split::{Criterion, Histogram, Layout, Split, SplitLimits, Stats};
use crate::tree::{Node, NodeSplit, Tree};

/// How a tree is grown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrowConfig {
    /// How splits are scored.
    pub criterion: Criterion,
    /// Constraints on the children of a split.
    pub limits: SplitLimits,
    /// Deepest level of a leaf (the root is at depth 0).
    pub max_depth: usize,
    /// Most leaves.
    pub max_leaves: usize,
}

/// A leaf that may still be split.
struct Open {
    node: usize,
    depth: usize,
    rows: Vec<u32>,
    histogram: Histogram,
    split: Option<Split>,
}

/// Grows a tree on `rows` of `data` with per-row statistics `g` and `h`;
/// node values are left at 0 for the caller to set.
pub fn grow(
    layout: &Layout,
    data: &BinnedRows,
    rows: Vec<u32>,
    g: &[f64],
    h: &[f64],
    config: &GrowConfig,
) -> Tree {
    let histogram = Histogram::build(layout, data, &rows, g, h);
    let stats = rows.iter().fold(Stats::default(), |mut s, &r| {
        s.g += g[r as usize];
        s.h += h[r as usize];
        s.n += 1;
        s
    });
    let mut tree = Tree {
        nodes: vec![Node {
            stats,
            value: 0.0,
            split: None,
        }],
    };
    let mut open = vec![open_leaf(layout, 0, 0, rows, histogram, stats, config)];
    while tree.leaves() < config.max_leaves {
        // The open leaf whose split gains most; ties keep the older leaf.
        let Some(best) = open
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.split.as_ref().map(|s| (i, s.gain)))
            .fold(None, |best: Option<(usize, f64)>, (i, gain)| match best {
                Some((_, g)) if g >= gain => best,
                _ => Some((i, gain)),
            })
            .map(|(i, _)| i)
        else {
            break;
        };
        let leaf = open.swap_remove(best);
        let Some(split) = leaf.split else { break };
        let column = data.column(split.feature);
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = leaf
            .rows
            .iter()
            .partition(|&&r| split.rule.goes_left(column[r as usize], split.missing_left));
        let (small, large) = if left_rows.len() <= right_rows.len() {
            (&left_rows, true)
        } else {
            (&right_rows, false)
        };
        let small_hist = Histogram::build(layout, data, small, g, h);
        let large_hist = leaf.histogram.minus(&small_hist);
        let (left_hist, right_hist) = if large {
            (small_hist, large_hist)
        } else {
            (large_hist, small_hist)
        };
        let left = tree.nodes.len();
        for stats in [split.left, split.right] {
            tree.nodes.push(Node {
                stats,
                value: 0.0,
                split: None,
            });
        }
        tree.nodes[leaf.node].split = Some(NodeSplit {
            feature: split.feature as u32,
            rule: split.rule,
            missing_left: split.missing_left,
            left: left as u32,
            right: left as u32 + 1,
        });
        let depth = leaf.depth + 1;
        open.push(open_leaf(
            layout, left, depth, left_rows, left_hist, split.left, config,
        ));
        let right = (left + 1, right_rows, right_hist, split.right);
        open.push(open_leaf(
            layout, right.0, depth, right.1, right.2, right.3, config,
        ));
    }
    tree
}

fn open_leaf(
    layout: &Layout,
    node: usize,
    depth: usize,
    rows: Vec<u32>,
    histogram: Histogram,
    stats: Stats,
    config: &GrowConfig,
) -> Open {
    let splittable = depth < config.max_depth && stats.n >= 2 * config.limits.min_rows.max(1);
    let split = splittable
        .then(|| histogram.best_split(layout, stats, &config.criterion, &config.limits))
        .flatten();
    Open {
        node,
        depth,
        rows,
        histogram,
        split,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::Rule;

    fn config(max_depth: usize, max_leaves: usize) -> GrowConfig {
        GrowConfig {
            criterion: Criterion::Gini,
            limits: SplitLimits {
                min_rows: 1,
                min_weight: 0.0,
                min_gain: 1e-9,
                category_smoothing: 0.0,
            },
            max_depth,
            max_leaves,
        }
    }

    /// y = (x0 == 1 bin) XOR (x1 high), with x0 in bins 1..=2 and x1 in 1..=2.
    fn xor() -> (Layout, BinnedRows, Vec<f64>) {
        let x0 = vec![1, 1, 2, 2, 1, 2, 1, 2];
        let x1 = vec![1, 2, 1, 2, 1, 2, 2, 1];
        let y: Vec<f64> = x0
            .iter()
            .zip(&x1)
            .map(|(&a, &b)| f64::from(u8::from((a == 1) != (b == 2))))
            .collect();
        let layout = Layout::new(&[(3, false), (3, false)]);
        (layout, BinnedRows::new(vec![x0, x1]), y)
    }

    #[test]
    fn grows_until_leaves_are_pure_within_budgets() {
        let (layout, data, y) = xor();
        let ones = vec![1.0; y.len()];
        let rows: Vec<u32> = (0..8).collect();
        // XOR needs depth 2: a stump gains nothing, so the root stays a leaf.
        let stump = grow(&layout, &data, rows.clone(), &y, &ones, &config(1, 8));
        assert_eq!(stump.nodes.len(), 1);
        // With a tiny positive gain floor off, depth 2 separates every cell.
        let mut cfg = config(2, 8);
        cfg.limits.min_gain = -1.0;
        let tree = grow(&layout, &data, rows.clone(), &y, &ones, &cfg);
        assert_eq!(tree.leaves(), 4);
        for (i, &label) in y.iter().enumerate() {
            let leaf = &tree.nodes[tree.leaf(|f| data.bin(f, i))];
            assert_eq!(leaf.stats.g / leaf.stats.h, label);
        }
        let root = tree.nodes[0].split.as_ref().unwrap();
        assert_eq!((root.feature, &root.rule), (0, &Rule::Below(1)));
        let budget = grow(&layout, &data, rows, &y, &ones, &{
            cfg.max_leaves = 3;
            cfg
        });
        assert_eq!(budget.leaves(), 3);
        assert!(budget.check(2).is_ok());
        assert!(budget.check(0).is_err());
    }
}
