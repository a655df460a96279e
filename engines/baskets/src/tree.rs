//! The FP-tree: a trie of baskets whose items are written most frequent
//! first, so that baskets share prefixes, with per-node counts and, per item,
//! the list of its nodes.
//!
//! Trees are built from weighted paths sorted lexicographically: a path then
//! shares its longest common prefix with its predecessor only, so the trie is
//! built in one pass with a stack and no child lookups.

/// One weighted path of local item indices (ascending) in a shared buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Path {
    /// Offset of its first item.
    pub start: usize,
    /// Number of items (at least 1).
    pub len: usize,
    /// How many baskets it stands for.
    pub weight: u32,
}

/// Marks the root's item.
const ROOT_ITEM: u32 = u32::MAX;

/// An FP-tree over `label.len()` local items.
#[derive(Debug)]
pub(crate) struct Tree {
    /// Local item index to global rank; ascending, so local order is rank order.
    pub label: Vec<u32>,
    /// Item of each node; node 0 is the root.
    pub item: Vec<u32>,
    /// Baskets through each node.
    pub count: Vec<u32>,
    /// Parent of each node (the root's is itself).
    pub parent: Vec<u32>,
    /// Support of each local item (sum of its nodes' counts).
    pub support: Vec<u32>,
    head_start: Vec<u32>,
    head_nodes: Vec<u32>,
}

impl Tree {
    /// Builds the trie of `paths` (items in `buf`, each path ascending and
    /// below `label.len()`); `paths` is sorted in place.
    pub fn build(label: Vec<u32>, buf: &[u32], paths: &mut [Path]) -> Self {
        let slice = |p: &Path| buf.get(p.start..p.start + p.len).unwrap_or(&[]);
        paths.sort_unstable_by(|a, b| slice(a).cmp(slice(b)));
        let mut tree = Self {
            item: vec![ROOT_ITEM],
            count: vec![0],
            parent: vec![0],
            support: vec![0; label.len()],
            label,
            head_start: Vec::new(),
            head_nodes: Vec::new(),
        };
        // `stack[d]` is the node at depth d + 1 of the previous path.
        let mut stack: Vec<u32> = Vec::new();
        let mut previous: &[u32] = &[];
        for path in paths.iter() {
            let items = slice(path);
            let common = items
                .iter()
                .zip(previous)
                .take_while(|(a, b)| a == b)
                .count();
            stack.truncate(common);
            for &node in &stack {
                if let Some(c) = tree.count.get_mut(node as usize) {
                    *c += path.weight;
                }
            }
            for &item in items.get(common..).unwrap_or(&[]) {
                let parent = stack.last().copied().unwrap_or(0);
                let node = tree.item.len() as u32;
                tree.item.push(item);
                tree.count.push(path.weight);
                tree.parent.push(parent);
                stack.push(node);
            }
            previous = items;
        }
        tree.index_heads();
        tree
    }

    /// Fills the per-item node lists (counting sort by item) and supports.
    fn index_heads(&mut self) {
        let n = self.label.len();
        let mut start = vec![0u32; n + 1];
        for (&item, &count) in self.item.iter().zip(&self.count).skip(1) {
            if let (Some(s), Some(support)) = (
                start.get_mut(item as usize + 1),
                self.support.get_mut(item as usize),
            ) {
                *s += 1;
                *support += count;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut nodes = vec![0u32; self.item.len().saturating_sub(1)];
        for (node, &item) in self.item.iter().enumerate().skip(1) {
            if let Some(at) = fill.get_mut(item as usize) {
                if let Some(slot) = nodes.get_mut(*at as usize) {
                    *slot = node as u32;
                }
                *at += 1;
            }
        }
        self.head_start = start;
        self.head_nodes = nodes;
    }

    /// Number of local items.
    pub fn n_items(&self) -> usize {
        self.label.len()
    }

    /// The nodes of local item `item`.
    pub fn nodes_of(&self, item: usize) -> &[u32] {
        match (self.head_start.get(item), self.head_start.get(item + 1)) {
            (Some(&a), Some(&b)) => self.head_nodes.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Whether the tree is one chain (each node the parent of the next), in
    /// which case every combination of its nodes is frequent.
    pub fn is_single_path(&self) -> bool {
        self.parent
            .iter()
            .enumerate()
            .skip(1)
            .all(|(node, &parent)| parent as usize + 1 == node)
    }

    /// The ancestors of `node` up to (not including) the root, deepest first.
    pub fn ancestors(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = node;
        std::iter::from_fn(move || {
            let parent = *self.parent.get(at as usize)?;
            if parent == 0 || at == 0 {
                return None;
            }
            at = parent;
            self.item.get(parent as usize).copied()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_of(paths: &[&[u32]], n_items: usize) -> Tree {
        let mut buf = Vec::new();
        let mut list = Vec::new();
        for p in paths {
            list.push(Path {
                start: buf.len(),
                len: p.len(),
                weight: 1,
            });
            buf.extend_from_slice(p);
        }
        Tree::build((0..n_items as u32).collect(), &buf, &mut list)
    }

    #[test]
    fn shared_prefixes_share_nodes() {
        // 0-1-2, 0-1, 0-3, 1: nodes root, 0, 1, 2, 3, 1'.
        let tree = tree_of(&[&[0, 1, 2], &[1], &[0, 3], &[0, 1]], 4);
        assert_eq!(tree.item.len(), 6);
        assert_eq!(tree.support, vec![3, 3, 1, 1]);
        assert_eq!(tree.nodes_of(1).len(), 2);
        let node_2 = tree.nodes_of(2)[0];
        assert_eq!(tree.count[node_2 as usize], 1);
        assert_eq!(tree.ancestors(node_2).collect::<Vec<_>>(), vec![1, 0]);
        assert!(!tree.is_single_path());
        assert!(tree_of(&[&[0, 1], &[0], &[0, 1, 2]], 3).is_single_path());
        assert!(tree_of(&[], 3).is_single_path());
    }
}
