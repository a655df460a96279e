//! Shared fixtures and the contract every recommender must honour, for the
//! engines' unit tests (feature `testing`).

// A panic in these helpers is a failed assertion of the calling test.
#![allow(clippy::unwrap_used)]

use crate::data::{Dataset, Interaction, ItemMeta};
use crate::engine::{DataNeed, EngineDescription};
use crate::error::EngineError;
use crate::params::Params;
use crate::recommender::{Recommendation, Recommender};

/// Four customers and five items; customer 3 and item 4 have no interaction.
///
/// c0: items 0, 1, 2; c1: items 0, 1; c2: items 1, 3 (item 1 twice).
pub fn tiny_dataset() -> Dataset {
    let pairs = [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (2, 1),
        (2, 3),
        (2, 1),
    ];
    let interactions = pairs
        .iter()
        .enumerate()
        .map(|(t, &(customer, item))| Interaction {
            customer,
            item,
            weight: 1.0,
            timestamp: 1_000 + t as i64,
            basket: None,
        })
        .collect();
    let meta = |name: &str, description: &str, category: &str, tags: &[&str]| ItemMeta {
        name: name.into(),
        description: description.into(),
        category: Some(category.into()),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        attributes: Default::default(),
    };
    Dataset {
        n_customers: 4,
        n_items: 5,
        interactions,
        items: vec![
            meta(
                "Red running shoe",
                "light shoe for running",
                "shoes",
                &["sport"],
            ),
            meta(
                "Blue running shoe",
                "shoe for long running",
                "shoes",
                &["sport"],
            ),
            meta("Trail sock", "warm sock", "socks", &["sport", "outdoor"]),
            meta(
                "Office chair",
                "chair for the office",
                "furniture",
                &["office"],
            ),
            meta(
                "Desk lamp",
                "lamp for the office desk",
                "furniture",
                &["office"],
            ),
        ],
    }
}

fn items(list: &[Recommendation]) -> Vec<u32> {
    list.iter().map(|r| r.item).collect()
}

/// Checks what every engine promises on [`tiny_dataset`]: deterministic
/// output, ranked and excluded lists, model round trip, caller errors for bad
/// parameters (`bad_params`, each a name and value) and unknown ids, no panic
/// on cold customers or empty data.
pub fn check_contract<R: Recommender>(engine: &R, bad_params: &[(&str, &str)]) {
    let data = tiny_dataset();
    let a = engine.fit(&data, &Params::new()).unwrap();
    let b = engine.fit(&data, &Params::new()).unwrap();
    assert_eq!(engine.to_bytes(&a).unwrap(), engine.to_bytes(&b).unwrap());
    let back = engine.from_bytes(&engine.to_bytes(&a).unwrap()).unwrap();
    for customer in 0..4 {
        let list = engine.recommend(&a, customer, 3, &[0]).unwrap();
        assert_eq!(list, engine.recommend(&b, customer, 3, &[0]).unwrap());
        let ranked: Vec<(u32, f64)> = list.iter().map(|r| (r.item, r.score)).collect();
        assert_eq!(engine.rank(&a, customer, 3, &[0]).unwrap(), ranked);
        assert_eq!(list, engine.recommend(&back, customer, 3, &[0]).unwrap());
        assert!(list.len() <= 3);
        assert!(!items(&list).contains(&0), "excluded item recommended");
        assert!(list.windows(2).all(
            |w| w[0].score > w[1].score || (w[0].score == w[1].score && w[0].item < w[1].item)
        ));
        for r in &list {
            assert!(r.score.is_finite());
            assert!(r.reasons.windows(2).all(|w| w[0].weight >= w[1].weight));
        }
    }
    for item in 0..5 {
        let similar = engine.similar_items(&a, item, 2).unwrap();
        assert!(similar.len() <= 2 && !items(&similar).contains(&item));
    }
    assert_eq!(
        engine.similar_items(&a, 5, 2).unwrap_err(),
        EngineError::UnknownItem(5)
    );
    match engine.recommend(&a, 99, 3, &[]) {
        Ok(_) | Err(EngineError::UnknownCustomer(99)) => {}
        Err(e) => panic!("unexpected error for an unknown customer: {e}"),
    }
    assert!(engine.recommend(&a, 0, 0, &[]).unwrap().is_empty());
    // Exclusions beyond the catalogue are ignored, not a panic.
    assert_eq!(
        engine.recommend(&a, 0, 3, &[0, 999]).unwrap(),
        engine.recommend(&a, 0, 3, &[0]).unwrap()
    );
    for (name, value) in bad_params {
        match engine.fit(&data, &Params::new().with(name, value)) {
            Err(err) => assert!(err.is_caller_error(), "{name}={value}: {err}"),
            Ok(_) => panic!("{name}={value} was accepted"),
        }
    }
    assert!(matches!(
        engine.fit(&data, &Params::new().with("no_such_param", 1)),
        Err(EngineError::UnknownParam { .. })
    ));
    let empty = engine.fit(&Dataset::default(), &Params::new()).unwrap();
    match engine.recommend(&empty, 0, 3, &[]) {
        Ok(list) => assert!(list.is_empty()),
        Err(e) => assert_eq!(e, EngineError::UnknownCustomer(0)),
    }
    assert_eq!(
        engine.similar_items(&empty, 0, 3).unwrap_err(),
        EngineError::UnknownItem(0)
    );
}

/// Recommends the lowest item indices not excluded, with score 0, to
/// exercise the trait plumbing and the evaluation protocol; the field is the
/// engine name.
pub struct ByIndex(pub &'static str);

impl Recommender for ByIndex {
    type Model = usize;

    fn name(&self) -> &'static str {
        self.0
    }

    fn describe(&self) -> EngineDescription {
        EngineDescription {
            name: self.0.into(),
            summary: "test".into(),
            params: vec![],
            needs: vec![DataNeed::Interactions],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<usize, EngineError> {
        params.resolve(&[])?;
        Ok(data.n_items)
    }

    fn recommend(
        &self,
        model: &usize,
        _customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        Ok((0..*model as u32)
            .filter(|i| !exclude.contains(i))
            .take(k)
            .map(|item| Recommendation {
                item,
                score: 0.0,
                reasons: vec![],
            })
            .collect())
    }

    fn similar_items(
        &self,
        model: &usize,
        item: u32,
        _k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        if item as usize >= *model {
            return Err(EngineError::UnknownItem(item));
        }
        Ok(vec![])
    }
}

/// A small deterministic generator (64-bit LCG, high bits), so synthetic
/// benchmark data repeats run after run.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number, uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An item of `0..n_items` with density proportional to rank^-0.9 (a long
/// tail of rare items, item 0 the most popular).
pub fn power_law_item(rng: &mut Lcg, n_items: usize) -> u32 {
    const S: f64 = 0.9;
    let top = (n_items as f64).powf(1.0 - S) - 1.0;
    let x = (1.0 + rng.uniform() * top).powf(1.0 / (1.0 - S));
    (x as usize).clamp(1, n_items) as u32 - 1
}

/// A seeded synthetic log of `n_interactions` (one per time step), customers
/// uniform in `0..n_customers`, items drawn by [`power_law_item`]; with
/// `every_item`, step `t < n_items` takes item `t` instead, so that every
/// item occurs at least once.
pub fn power_law_dataset(
    n_items: usize,
    n_customers: usize,
    n_interactions: usize,
    every_item: bool,
) -> Dataset {
    let mut rng = Lcg(7);
    let interactions = (0..n_interactions)
        .map(|t| {
            let customer = (rng.uniform() * n_customers as f64) as u32;
            let item = if every_item && t < n_items {
                t as u32
            } else {
                power_law_item(&mut rng, n_items)
            };
            Interaction {
                customer,
                item,
                weight: 1.0,
                timestamp: t as i64,
                basket: None,
            }
        })
        .collect();
    Dataset {
        n_customers,
        n_items,
        interactions,
        items: Vec::new(),
    }
}

/// This process's peak resident memory (VmHWM) in KiB, where `/proc` tells.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// MovieLens 100K's `u.data` (tab-separated user, item, rating, time; ids
/// from 1) as implicit feedback: every rating one interaction of weight 1.
pub fn read_movielens(path: &str) -> Result<Dataset, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut interactions = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<i64> = line
            .split('\t')
            .filter_map(|x| x.trim().parse().ok())
            .collect();
        let [user, item, _rating, ts] = f[..] else {
            return Err(format!(
                "{path}:{}: expected user, item, rating, time",
                n + 1
            ));
        };
        interactions.push(Interaction {
            customer: (user - 1) as u32,
            item: (item - 1) as u32,
            weight: 1.0,
            timestamp: ts,
            basket: None,
        });
    }
    let size = |f: fn(&Interaction) -> u32| {
        interactions
            .iter()
            .map(|x| f(x) as usize + 1)
            .max()
            .unwrap_or(0)
    };
    Ok(Dataset {
        n_customers: size(|x| x.customer),
        n_items: size(|x| x.item),
        interactions,
        items: Vec::new(),
    })
}

/// Where MovieLens 100K's ratings are read from when an example is not
/// given a path: the shared data directory beside the repository.
pub const MOVIELENS_DEFAULT: &str = "../shared/data/ml-100k/u.data";

/// Command-line argument `i` parsed as `T`, or `default` when it is absent
/// or does not parse (for the examples).
pub fn arg_or<T: std::str::FromStr>(i: usize, default: T) -> T {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// MovieLens 100K's ratings ([`read_movielens`]) from the path in
/// command-line argument `i`, or from [`MOVIELENS_DEFAULT`].
pub fn movielens_at_arg(i: usize) -> Result<Dataset, String> {
    let path = std::env::args()
        .nth(i)
        .unwrap_or_else(|| MOVIELENS_DEFAULT.to_owned());
    read_movielens(&path)
}
