//! Item feature vectors: TF-IDF over name, description, tags and attributes,
//! plus a one-hot category, each row L2-normalised.

use std::collections::BTreeMap;

use rapport_core::ItemMeta;
use sprs::{CsMat, TriMat};

/// Words too common to tell items apart.
const STOP_WORDS: [&str; 12] = [
    "the", "and", "of", "for", "a", "an", "in", "on", "to", "with", "is", "it",
];

/// How features are weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureOptions {
    /// Weight of the one-hot category feature before normalisation.
    pub category_weight: f64,
    /// Terms found in fewer items than this are dropped.
    pub min_df: usize,
}

/// Lower-cased alphanumeric words of at least two characters, minus stop words.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
}

/// The weighted terms of one item, before IDF: word counts, tags and attributes once each.
fn terms(item: &ItemMeta) -> BTreeMap<String, f64> {
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    for word in tokens(&item.name).chain(tokens(&item.description)) {
        *counts.entry(word).or_default() += 1.0;
    }
    for tag in &item.tags {
        counts.insert(format!("tag:{}", tag.trim().to_lowercase()), 1.0);
    }
    for (name, value) in &item.attributes {
        counts.insert(
            format!("attr:{}={}", name.to_lowercase(), value.to_lowercase()),
            1.0,
        );
    }
    counts
}

/// Items x features matrix (CSR), rows of unit length (or empty).
///
/// Term weight: (1 + ln tf) x idf with idf = ln((1 + n) / (1 + df)) + 1;
/// the category is one extra feature of weight `category_weight`.
pub fn item_vectors(items: &[ItemMeta], options: FeatureOptions) -> CsMat<f64> {
    let per_item: Vec<BTreeMap<String, f64>> = items.iter().map(terms).collect();
    let mut df: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &per_item {
        for term in t.keys() {
            *df.entry(term.as_str()).or_default() += 1;
        }
    }
    let n = items.len() as f64;
    let mut vocabulary: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    for (term, count) in df.iter().filter(|(_, c)| **c >= options.min_df) {
        let idf = ((1.0 + n) / (1.0 + *count as f64)).ln() + 1.0;
        let index = vocabulary.len();
        vocabulary.insert(term, (index, idf));
    }
    let mut categories: BTreeMap<String, usize> = BTreeMap::new();
    for item in items {
        if let Some(c) = &item.category {
            let next = vocabulary.len() + categories.len();
            categories.entry(c.trim().to_lowercase()).or_insert(next);
        }
    }
    let width = vocabulary.len() + categories.len();
    let mut tri = TriMat::new((items.len(), width));
    for (row, (item, t)) in items.iter().zip(&per_item).enumerate() {
        let mut entries: Vec<(usize, f64)> = t
            .iter()
            .filter_map(|(term, tf)| {
                let (index, idf) = vocabulary.get(term.as_str())?;
                Some((*index, (1.0 + tf.ln()) * idf))
            })
            .collect();
        if let Some(c) = &item.category
            && let Some(&index) = categories.get(&c.trim().to_lowercase())
            && options.category_weight > 0.0
        {
            entries.push((index, options.category_weight));
        }
        let norm = entries.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (column, v) in entries {
                tri.add_triplet(row, column, v / norm);
            }
        }
    }
    tri.to_csr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_drop_short_and_stop_words() {
        let t: Vec<String> = tokens("The Red-Shoe, for running (1995) & a X").collect();
        assert_eq!(t, vec!["red", "shoe", "running", "1995"]);
    }

    #[test]
    fn hand_computed_vectors() {
        // Two items, n = 2. "shoe" occurs in both: idf = ln(3/3) + 1 = 1;
        // "red" and "blue" in one: idf = ln(3/2) + 1 = 1.405465.
        // Item 0 = red shoe + category "a" (weight 1): (1.405465, 1, 1) / 2.0012.
        let item = |name: &str, category: &str| ItemMeta {
            name: name.into(),
            category: Some(category.into()),
            ..Default::default()
        };
        let m = item_vectors(
            &[item("red shoe", "a"), item("blue shoe", "b")],
            FeatureOptions {
                category_weight: 1.0,
                min_df: 1,
            },
        );
        // Vocabulary order: blue, red, shoe, then categories a, b.
        assert_eq!(m.shape(), (2, 5));
        let row = m.outer_view(0).unwrap();
        let idf = 1.5f64.ln() + 1.0;
        let norm = (idf * idf + 2.0).sqrt();
        assert_eq!(row.indices(), &[1, 2, 3]);
        assert!((row.data()[0] - idf / norm).abs() < 1e-12);
        assert!((row.data()[1] - 1.0 / norm).abs() < 1e-12);
        // min_df = 2 keeps only "shoe" and the categories.
        let pruned = item_vectors(
            &[item("red shoe", "a"), item("blue shoe", "b")],
            FeatureOptions {
                category_weight: 0.0,
                min_df: 2,
            },
        );
        assert_eq!(pruned.outer_view(1).unwrap().indices(), &[0]);
    }
}
