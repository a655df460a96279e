//! FP-growth against brute-force counting on small random data.

use crate::error::BasketError;
use crate::fpgrowth::{Itemset, MiningConfig, frequent_itemsets, min_count};
use crate::fraction::Fraction;

/// A small deterministic generator (64-bit LCG, high bits).
pub(crate) struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random baskets over `n_items` items with skewed popularity and duplicates.
fn random_baskets(rng: &mut Lcg, n_baskets: usize, n_items: u32, spread: u32) -> Vec<Vec<u32>> {
    (0..n_baskets)
        .map(|_| {
            let len = rng.below(u64::from(n_items) + 2) as usize;
            (0..len)
                .map(|_| {
                    // min of two uniforms: low items are more popular.
                    let a = rng.below(u64::from(n_items)) as u32;
                    let b = rng.below(u64::from(n_items)) as u32;
                    a.min(b) * spread
                })
                .collect()
        })
        .collect()
}

/// Every itemset of the items seen, up to `max_len`, counted by scanning.
fn brute_force(baskets: &[Vec<u32>], min: u32, max_len: usize) -> Vec<Itemset> {
    let mut universe: Vec<u32> = baskets.iter().flatten().copied().collect();
    universe.sort_unstable();
    universe.dedup();
    let mut out = Vec::new();
    for mask in 1u64..(1 << universe.len()) {
        if mask.count_ones() as usize > max_len {
            continue;
        }
        let items: Vec<u32> = (0..universe.len())
            .filter(|b| mask >> b & 1 == 1)
            .map(|b| universe[b])
            .collect();
        let count = baskets
            .iter()
            .filter(|basket| items.iter().all(|i| basket.contains(i)))
            .count() as u32;
        if count >= min {
            out.push(Itemset { items, count });
        }
    }
    out.sort_by(|a, b| (a.items.len(), &a.items).cmp(&(b.items.len(), &b.items)));
    out
}

fn config(support: Fraction, max_len: usize) -> MiningConfig {
    MiningConfig {
        min_support: support,
        max_len,
        max_itemsets: 1 << 20,
    }
}

#[test]
fn matches_brute_force_on_many_random_data_sets() {
    let mut long = 0;
    for seed in 0..400u64 {
        let mut rng = Lcg(seed * 7919 + 1);
        let n_items = 2 + rng.below(10) as u32;
        let n_baskets = rng.below(40) as usize;
        // Every fifth seed uses item ids far apart (the sparse-id path).
        let spread = if seed % 5 == 0 { 400_000_007 } else { 1 };
        let baskets = random_baskets(&mut rng, n_baskets, n_items, spread);
        let support = Fraction::new(rng.below(12), 20).unwrap();
        let max_len = 1 + rng.below(n_items as u64 + 1) as usize;
        let got = frequent_itemsets(&baskets, &config(support, max_len)).unwrap();
        let min = min_count(support, n_baskets as u32);
        assert_eq!(got.min_count, min);
        assert_eq!(got.n_baskets, n_baskets as u32);
        let expected = brute_force(&baskets, min, max_len);
        assert_eq!(
            got.itemsets, expected,
            "seed {seed}: {baskets:?}, min {min}, max_len {max_len}"
        );
        long += expected.iter().filter(|s| s.items.len() >= 3).count();
    }
    // The data sets are not trivial: many itemsets of three items or more.
    assert!(long > 1000, "{long}");
}

#[test]
fn dense_data_with_long_shared_paths_matches_brute_force() {
    // Nearly every basket holds nearly every item: single-path trees and deep recursion.
    for seed in 0..60u64 {
        let mut rng = Lcg(seed + 1000);
        let n_items = 10u32;
        let baskets: Vec<Vec<u32>> = (0..25)
            .map(|_| (0..n_items).filter(|_| rng.below(10) < 8).collect())
            .collect();
        let support = Fraction::new(rng.below(10), 10).unwrap();
        let max_len = 1 + rng.below(10) as usize;
        let got = frequent_itemsets(&baskets, &config(support, max_len)).unwrap();
        let expected = brute_force(&baskets, got.min_count, max_len);
        assert_eq!(got.itemsets, expected, "seed {seed}");
    }
}

#[test]
fn thresholds_counts_and_sizes_on_a_hand_made_table() {
    // Five baskets; at 0.4 an itemset needs ceil(2.0) = 2 baskets.
    let baskets = vec![
        vec![1, 2, 3],
        vec![1, 2],
        vec![1, 3],
        vec![2, 3],
        vec![1, 2, 3, 4],
    ];
    let got = frequent_itemsets(&baskets, &config("0.4".parse().unwrap(), 4)).unwrap();
    assert_eq!(got.min_count, 2);
    let listed: Vec<(Vec<u32>, u32)> = got
        .itemsets
        .iter()
        .map(|s| (s.items.clone(), s.count))
        .collect();
    assert_eq!(
        listed,
        vec![
            (vec![1], 4),
            (vec![2], 4),
            (vec![3], 4),
            (vec![1, 2], 3),
            (vec![1, 3], 3),
            (vec![2, 3], 3),
            (vec![1, 2, 3], 2),
        ]
    );
    assert_eq!(got.count_by_size(), vec![3, 3, 1]);
    // 0.41 * 5 = 2.05: three baskets needed, so {1, 2, 3} drops out.
    let stricter = frequent_itemsets(&baskets, &config("0.41".parse().unwrap(), 4)).unwrap();
    assert_eq!(stricter.min_count, 3);
    assert_eq!(stricter.count_by_size(), vec![3, 3]);
    // The empty data and empty baskets are no error.
    let none: Vec<Vec<u32>> = vec![vec![], vec![]];
    assert!(
        frequent_itemsets(&none, &config("0.5".parse().unwrap(), 3))
            .unwrap()
            .itemsets
            .is_empty()
    );
    let empty: Vec<Vec<u32>> = Vec::new();
    assert_eq!(
        frequent_itemsets(&empty, &config("0".parse().unwrap(), 3))
            .unwrap()
            .min_count,
        1
    );
}

#[test]
fn the_cap_fails_and_names_the_threshold_to_raise() {
    let baskets: Vec<Vec<u32>> = (0..10).map(|_| (0..12).collect()).collect();
    let mut c = config("0.5".parse().unwrap(), 12);
    c.max_itemsets = 1000;
    // 2^12 - 1 = 4095 frequent itemsets exceed 1000.
    let err = frequent_itemsets(&baskets, &c).unwrap_err();
    assert!(matches!(
        err,
        BasketError::TooManyItemsets {
            limit: 1000,
            min_count: 5,
            ..
        }
    ));
    let text = err.to_string();
    assert!(
        text.contains("raise min_support") && text.contains("max_len"),
        "{text}"
    );
    // Exactly at the cap is allowed: 12 + 66 + 220 = 298 itemsets up to length 3.
    c.max_len = 3;
    c.max_itemsets = 298;
    assert_eq!(frequent_itemsets(&baskets, &c).unwrap().itemsets.len(), 298);
    c.max_itemsets = 297;
    assert!(frequent_itemsets(&baskets, &c).is_err());
    c.max_len = 0;
    assert!(matches!(
        frequent_itemsets(&baskets, &c),
        Err(BasketError::OutOfRange {
            name: "max_len",
            ..
        })
    ));
}
