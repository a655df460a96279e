//! Path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, "Consistent
//! individualized feature attribution for tree ensembles", Algorithm 2):
//! exact Shapley values of one row for one tree, where the expectation over
//! an absent feature follows both children weighted by their training rows.
//! The values add up, with the tree's expected value, to the row's leaf value.

use crate::tree::Tree;

/// One feature on the path from the root: which, the share of the training
/// rows that follow the path when the feature is absent (`zero`) and whether
/// the row follows it when present (`one`), and the permutation weight.
#[derive(Debug, Clone, Copy)]
struct Element {
    feature: Option<usize>,
    zero: f64,
    one: f64,
    weight: f64,
}

/// The tree's expected value: its leaf values weighted by training rows.
pub fn expected_value(tree: &Tree) -> f64 {
    let total = f64::from(tree.nodes[0].stats.n.max(1));
    tree.nodes
        .iter()
        .filter(|n| n.split.is_none())
        .map(|n| n.value * f64::from(n.stats.n) / total)
        .sum()
}

/// Adds the Shapley value of each feature for the row whose bin in feature
/// `f` is `bin(f)` to `phi[f]`.
pub fn add_contributions(tree: &Tree, bin: &dyn Fn(usize) -> u16, phi: &mut [f64]) {
    let path = Vec::new();
    recurse(tree, bin, phi, 0, &path, 1.0, 1.0, None);
}

#[allow(clippy::too_many_arguments)] // the recursion's state, as in the paper
fn recurse(
    tree: &Tree,
    bin: &dyn Fn(usize) -> u16,
    phi: &mut [f64],
    node: usize,
    parent: &[Element],
    zero: f64,
    one: f64,
    feature: Option<usize>,
) {
    let mut path = parent.to_vec();
    extend(&mut path, zero, one, feature);
    let here = &tree.nodes[node];
    let Some(split) = &here.split else {
        for i in 1..path.len() {
            let w = unwound_sum(&path, i);
            let e = path[i];
            if let Some(f) = e.feature {
                phi[f] += w * (e.one - e.zero) * here.value;
            }
        }
        return;
    };
    let f = split.feature as usize;
    let hot = split.child(bin(f));
    let cold = if hot == split.left as usize {
        split.right as usize
    } else {
        split.left as usize
    };
    let cover = f64::from(here.stats.n.max(1));
    let share = |child: usize| f64::from(tree.nodes[child].stats.n) / cover;
    let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
    if let Some(k) = (1..path.len()).find(|&k| path[k].feature == Some(f)) {
        incoming_zero = path[k].zero;
        incoming_one = path[k].one;
        unwind(&mut path, k);
    }
    let (hz, cz) = (share(hot) * incoming_zero, share(cold) * incoming_zero);
    recurse(tree, bin, phi, hot, &path, hz, incoming_one, Some(f));
    recurse(tree, bin, phi, cold, &path, cz, 0.0, Some(f));
}

/// Adds a feature to the path, updating the permutation weights.
fn extend(path: &mut Vec<Element>, zero: f64, one: f64, feature: Option<usize>) {
    let depth = path.len();
    path.push(Element {
        feature,
        zero,
        one,
        weight: if depth == 0 { 1.0 } else { 0.0 },
    });
    let d = depth as f64;
    for i in (0..depth).rev() {
        let fi = i as f64;
        path[i + 1].weight += one * path[i].weight * (fi + 1.0) / (d + 1.0);
        path[i].weight = zero * path[i].weight * (d - fi) / (d + 1.0);
    }
}

/// Removes element `k` from the path, undoing its [`extend`].
fn unwind(path: &mut Vec<Element>, k: usize) {
    let depth = path.len() - 1;
    let d = depth as f64;
    let Element { zero, one, .. } = path[k];
    let mut next = path[depth].weight;
    for i in (0..depth).rev() {
        let fi = i as f64;
        if one != 0.0 {
            let w = path[i].weight;
            path[i].weight = next * (d + 1.0) / ((fi + 1.0) * one);
            next = w - path[i].weight * zero * (d - fi) / (d + 1.0);
        } else {
            path[i].weight = path[i].weight * (d + 1.0) / (zero * (d - fi));
        }
    }
    for i in k..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
    path.pop();
}

/// The total permutation weight of the path with element `k` unwound.
fn unwound_sum(path: &[Element], k: usize) -> f64 {
    let depth = path.len() - 1;
    let d = depth as f64;
    let Element { zero, one, .. } = path[k];
    let mut next = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        let fi = i as f64;
        if one != 0.0 {
            let w = next * (d + 1.0) / ((fi + 1.0) * one);
            total += w;
            next = path[i].weight - w * zero * (d - fi) / (d + 1.0);
        } else if zero != 0.0 {
            total += path[i].weight / zero / ((d - fi) / (d + 1.0));
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::{Rule, Stats};
    use crate::tree::{Node, NodeSplit};

    fn leaf(n: u32, value: f64) -> Node {
        Node {
            stats: Stats { g: 0.0, h: 0.0, n },
            value,
            split: None,
        }
    }

    fn inner(n: u32, feature: u32, below: u16, left: u32) -> Node {
        Node {
            stats: Stats { g: 0.0, h: 0.0, n },
            value: 0.0,
            split: Some(NodeSplit {
                feature,
                rule: Rule::Below(below),
                missing_left: false,
                left,
                right: left + 1,
            }),
        }
    }

    /// The path-dependent value of the features in `set`: follow the row on
    /// features of the set, average the children by training rows otherwise.
    fn conditional(tree: &Tree, node: usize, x: &[u16], set: u32) -> f64 {
        let n = &tree.nodes[node];
        match &n.split {
            None => n.value,
            Some(s) if set & (1 << s.feature) != 0 => {
                conditional(tree, s.child(x[s.feature as usize]), x, set)
            }
            Some(s) => {
                let share =
                    |c: u32| f64::from(tree.nodes[c as usize].stats.n) / f64::from(n.stats.n);
                share(s.left) * conditional(tree, s.left as usize, x, set)
                    + share(s.right) * conditional(tree, s.right as usize, x, set)
            }
        }
    }

    /// Shapley values by their definition, over every subset of features.
    fn brute_force(tree: &Tree, x: &[u16]) -> Vec<f64> {
        let m = x.len();
        let factorial = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
        (0..m)
            .map(|i| {
                (0..1u32 << m)
                    .filter(|s| s & (1 << i) == 0)
                    .map(|s| {
                        let size = s.count_ones() as usize;
                        let weight = factorial(size) * factorial(m - size - 1) / factorial(m);
                        weight
                            * (conditional(tree, 0, x, s | (1 << i)) - conditional(tree, 0, x, s))
                    })
                    .sum()
            })
            .collect()
    }

    fn shap(tree: &Tree, x: &[u16]) -> Vec<f64> {
        let mut phi = vec![0.0; x.len()];
        add_contributions(tree, &|f| x[f], &mut phi);
        phi
    }

    /// Root on x0 (bin 1 left), then x1 on the left and x0 again on the right.
    fn depth_two() -> Tree {
        Tree {
            nodes: vec![
                inner(10, 0, 1, 1),
                inner(6, 1, 1, 3),
                inner(4, 0, 2, 5),
                leaf(2, 1.0),
                leaf(4, -1.0),
                leaf(1, 3.0),
                leaf(3, 0.5),
            ],
        }
    }

    #[test]
    fn a_hand_checked_depth_two_tree() {
        let tree = depth_two();
        // E f = (2 * 1 - 4 * 1 + 1 * 3 + 3 * 0.5) / 10 = 0.25.
        assert!((expected_value(&tree) - 0.25).abs() < 1e-15);
        // x = (bin 1, bin 1) reaches the leaf of value 1. With x0 alone the
        // expectation is (2 * 1 - 4) / 6 = -1/3, with x1 alone it is
        // 0.6 * 1 + 0.4 * 1.125 = 1.05, with both 1. Shapley:
        // phi0 = ((-1/3 - 0.25) + (1 - 1.05)) / 2, phi1 = ((1.05 - 0.25) + (1 + 1/3)) / 2.
        let phi = shap(&tree, &[1, 1]);
        let phi0 = ((-1.0 / 3.0 - 0.25) + (1.0 - 1.05)) / 2.0;
        let phi1 = ((1.05 - 0.25) + (1.0 + 1.0 / 3.0)) / 2.0;
        assert!((phi[0] - phi0).abs() < 1e-12, "{phi:?}");
        assert!((phi[1] - phi1).abs() < 1e-12, "{phi:?}");
        assert!((phi[0] + phi[1] + 0.25 - 1.0).abs() < 1e-12);
        for x in [[1, 1], [1, 2], [2, 1], [3, 2], [2, 0]] {
            let phi = shap(&tree, &x);
            for (a, b) in phi.iter().zip(brute_force(&tree, &x)) {
                assert!((a - b).abs() < 1e-12, "{x:?}: {phi:?} vs {b}");
            }
        }
    }

    /// A random full tree of `depth` over `m` features with random covers.
    fn random_tree(seed: &mut u64, depth: usize, m: u32) -> Tree {
        let mut next = || {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) as u32
        };
        let mut nodes = vec![inner(0, 0, 0, 0)];
        let mut frontier = vec![(0usize, 0usize)];
        while let Some((i, d)) = frontier.pop() {
            if d == depth || next() % 5 == 0 {
                nodes[i] = leaf(1 + next() % 20, f64::from(next() % 200) / 10.0 - 10.0);
                continue;
            }
            let left = nodes.len() as u32;
            nodes[i] = inner(0, next() % m, 1 + (next() % 3) as u16, left);
            nodes.push(leaf(0, 0.0));
            nodes.push(leaf(0, 0.0));
            frontier.push((left as usize, d + 1));
            frontier.push((left as usize + 1, d + 1));
        }
        // Covers are the sums of the leaves below.
        for i in (0..nodes.len()).rev() {
            if let Some(s) = nodes[i].split.clone() {
                nodes[i].stats.n = nodes[s.left as usize].stats.n + nodes[s.right as usize].stats.n;
            }
        }
        Tree { nodes }
    }

    #[test]
    fn random_trees_match_brute_force_and_add_up() {
        let mut seed = 7u64;
        for round in 0..200 {
            let m = 1 + round % 4;
            let tree = random_tree(&mut seed, 1 + round as usize % 5, m);
            let x: Vec<u16> = (0..m).map(|f| ((round * 7 + f * 3) % 5) as u16).collect();
            let phi = shap(&tree, &x);
            let expected = brute_force(&tree, &x);
            for (a, b) in phi.iter().zip(&expected) {
                assert!(
                    (a - b).abs() < 1e-9,
                    "round {round}: {phi:?} vs {expected:?}"
                );
            }
            let total = expected_value(&tree) + phi.iter().sum::<f64>();
            assert!(
                (total - tree.predict(|f| x[f])).abs() < 1e-9,
                "round {round}"
            );
        }
    }
}
