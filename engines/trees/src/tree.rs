//! A fitted decision tree over binned features: nodes with their training
//! statistics and value, and the walk of a row from the root to its leaf.

use serde::{Deserialize, Serialize};

use crate::split::{Rule, Stats};

/// How an inner node sends rows to its children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSplit {
    /// The feature index.
    pub feature: u32,
    /// Which bins go left.
    pub rule: Rule,
    /// Whether missing values go left.
    pub missing_left: bool,
    /// Index of the left child.
    pub left: u32,
    /// Index of the right child.
    pub right: u32,
}

impl NodeSplit {
    /// The child a row with `bin` in the split's feature goes to.
    pub fn child(&self, bin: u16) -> usize {
        if self.rule.goes_left(bin, self.missing_left) {
            self.left as usize
        } else {
            self.right as usize
        }
    }
}

/// One node: the statistics of the training rows that reached it, its
/// value (the leaf's output, or what an engine records for an inner node),
/// and its split unless it is a leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Statistics of the training rows in the node.
    pub stats: Stats,
    /// The node's value.
    pub value: f64,
    /// The split, `None` for a leaf.
    pub split: Option<NodeSplit>,
}

/// A binary tree; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// The nodes; children come after their parent.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The node indices from the root to the leaf of a row whose bin in
    /// feature `f` is `bin(f)`.
    pub fn path(&self, bin: impl Fn(usize) -> u16) -> Vec<usize> {
        let mut path = vec![0];
        let mut node = 0;
        while let Some(split) = self.nodes.get(node).and_then(|n| n.split.as_ref()) {
            node = split.child(bin(split.feature as usize));
            path.push(node);
        }
        path
    }

    /// The leaf index of a row (see [`Tree::path`]).
    pub fn leaf(&self, bin: impl Fn(usize) -> u16) -> usize {
        let mut node = 0;
        while let Some(split) = self.nodes.get(node).and_then(|n| n.split.as_ref()) {
            node = split.child(bin(split.feature as usize));
        }
        node
    }

    /// The value of a row's leaf.
    pub fn predict(&self, bin: impl Fn(usize) -> u16) -> f64 {
        self.nodes.get(self.leaf(bin)).map_or(0.0, |n| n.value)
    }

    /// Sets every node's value from its statistics.
    pub fn set_values(&mut self, value: impl Fn(Stats) -> f64) {
        for node in &mut self.nodes {
            node.value = value(node.stats);
        }
    }

    /// Number of leaves.
    pub fn leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.split.is_none()).count()
    }

    /// Refuses a tree whose children do not come after their parent or
    /// whose features are out of range (bytes not written by a fit).
    pub fn check(&self, features: usize) -> Result<(), String> {
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some(s) = &node.split {
                let fine = |c: u32| (c as usize) > i && (c as usize) < self.nodes.len();
                if !fine(s.left) || !fine(s.right) || s.feature as usize >= features {
                    return Err(format!("node {i} has a bad split"));
                }
            }
        }
        if self.nodes.is_empty() {
            return Err("a tree has no node".to_owned());
        }
        Ok(())
    }
}
