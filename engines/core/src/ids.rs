//! Maps between external string ids and dense `u32` indices.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A bijection between external ids and dense indices `0..len`.
///
/// Serialised as the list of ids in index order; the lookup table is rebuilt
/// on deserialisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct IdMap {
    ids: Vec<String>,
    index: HashMap<String, u32>,
}

impl From<Vec<String>> for IdMap {
    /// Ids in index order; a repeated id keeps its first index.
    fn from(ids: Vec<String>) -> Self {
        let mut map = Self::new();
        for id in &ids {
            map.insert(id);
        }
        map
    }
}

impl From<IdMap> for Vec<String> {
    fn from(map: IdMap) -> Self {
        map.ids
    }
}

impl IdMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// A map whose index order is the natural order of the ids: numeric when
    /// every id is an integer, else lexicographic. Duplicates are merged.
    ///
    /// Ranking ties are broken by index, so this makes them break by id as the
    /// reference implementations do.
    pub fn sorted<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut all: Vec<String> = ids.into_iter().map(Into::into).collect();
        let numeric = all.iter().all(|s| s.parse::<i64>().is_ok());
        all.sort_by(|a, b| natural_cmp(a, b, numeric));
        all.dedup();
        let mut map = Self::new();
        for id in all {
            map.insert(&id);
        }
        map
    }

    /// The index of `id`, adding it at the end when new.
    pub fn insert(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(id.to_owned());
        self.index.insert(id.to_owned(), i);
        i
    }

    /// The index of a known id.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The external id of an index.
    pub fn id(&self, index: u32) -> Option<&str> {
        self.ids.get(index as usize).map(String::as_str)
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

fn natural_cmp(a: &str, b: &str, numeric: bool) -> Ordering {
    if numeric {
        let (x, y) = (a.parse::<i64>().unwrap_or(0), b.parse::<i64>().unwrap_or(0));
        x.cmp(&y).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_sort_numerically() {
        let m = IdMap::sorted(["10", "2", "1", "2"]);
        assert_eq!(m.len(), 3);
        assert_eq!(m.get("1"), Some(0));
        assert_eq!(m.get("2"), Some(1));
        assert_eq!(m.get("10"), Some(2));
        assert_eq!(m.id(2), Some("10"));
    }

    #[test]
    fn mixed_ids_sort_lexicographically() {
        let m = IdMap::sorted(["b", "10", "a"]);
        assert_eq!(m.id(0), Some("10"));
        assert_eq!(m.id(2), Some("b"));
    }

    #[test]
    fn insert_is_idempotent_and_index_survives_a_round_trip() {
        let mut m = IdMap::new();
        assert_eq!(m.insert("x"), 0);
        assert_eq!(m.insert("y"), 1);
        assert_eq!(m.insert("x"), 0);
        let bytes = postcard::to_allocvec(&m).unwrap();
        let back: IdMap = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.get("y"), Some(1));
        assert_eq!(back, m);
    }
}
