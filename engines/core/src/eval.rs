//! The offline evaluation protocol of DESIGN.md §5 for recommenders: the
//! deterministic per-customer time split, the ranking metrics, their curve
//! over list lengths and the popularity bias of the lists.

pub mod bias;

use std::collections::HashSet;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::data::{Dataset, Interaction};
use crate::error::EngineError;
use crate::params::Params;
use crate::recommender::DynRecommender;
pub use bias::{PopularityAccumulator, PopularityBias};

/// Customers with fewer interactions than this go wholly to train.
pub const MIN_INTERACTIONS_FOR_TEST: usize = 5;

/// The longest list of [`EvalReport::curve`], which has the metrics at every
/// k = 1..=CURVE_K.
pub const CURVE_K: usize = 20;

/// The train and test parts of an interaction log, each sorted by customer,
/// then time, then item.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Split {
    /// Interactions the engine is fitted on.
    pub train: Vec<Interaction>,
    /// Held-out interactions.
    pub test: Vec<Interaction>,
}

/// Splits per customer: interactions sorted by (time, item); a customer with
/// at least 5 puts the last ceil(0.2 n) into test, the rest into train.
pub fn split(interactions: &[Interaction]) -> Split {
    let mut sorted = interactions.to_vec();
    sorted.sort_by_key(|x| (x.customer, x.timestamp, x.item));
    let mut out = Split::default();
    for group in sorted.chunk_by(|a, b| a.customer == b.customer) {
        let n = group.len();
        let n_test = if n >= MIN_INTERACTIONS_FOR_TEST {
            n.div_ceil(5)
        } else {
            0
        };
        let (train, test) = group.split_at(n - n_test);
        out.train.extend_from_slice(train);
        out.test.extend_from_slice(test);
    }
    out
}

/// Hits among the first `k` recommendations.
fn hits(recommended: &[u32], relevant: &HashSet<u32>, k: usize) -> usize {
    recommended
        .iter()
        .take(k)
        .filter(|i| relevant.contains(i))
        .count()
}

/// Precision@k: hits / k (a short list still divides by k).
pub fn precision_at_k(recommended: &[u32], relevant: &HashSet<u32>, k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    hits(recommended, relevant, k) as f64 / k as f64
}

/// Recall@k: hits / |relevant|.
pub fn recall_at_k(recommended: &[u32], relevant: &HashSet<u32>, k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    hits(recommended, relevant, k) as f64 / relevant.len() as f64
}

/// Binary NDCG@k: DCG = sum of 1/log2(rank + 1) over hit ranks, divided by the
/// DCG of min(|relevant|, k) hits on top.
pub fn ndcg_at_k(recommended: &[u32], relevant: &HashSet<u32>, k: usize) -> f64 {
    let discount = |rank: usize| 1.0 / ((rank + 1) as f64).log2();
    let dcg: f64 = recommended
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, i)| relevant.contains(i))
        .map(|(r, _)| discount(r + 1))
        .sum();
    let ideal: f64 = (1..=relevant.len().min(k)).map(discount).sum();
    if ideal == 0.0 { 0.0 } else { dcg / ideal }
}

/// AP@k: the sum of precision@r at each hit rank r, divided by min(|relevant|, k).
pub fn average_precision_at_k(recommended: &[u32], relevant: &HashSet<u32>, k: usize) -> f64 {
    let denominator = relevant.len().min(k);
    if denominator == 0 {
        return 0.0;
    }
    let mut found = 0usize;
    let mut sum = 0.0;
    for (r, item) in recommended.iter().take(k).enumerate() {
        if relevant.contains(item) {
            found += 1;
            sum += found as f64 / (r + 1) as f64;
        }
    }
    sum / denominator as f64
}

/// Means of the ranking metrics over the evaluated customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Metrics {
    /// List length.
    pub k: usize,
    /// Customers evaluated (those with a test item).
    pub customers: usize,
    /// Mean precision@k.
    pub precision: f64,
    /// Mean recall@k.
    pub recall: f64,
    /// Mean binary NDCG@k.
    pub ndcg: f64,
    /// Mean AP@k.
    pub map: f64,
    /// Distinct items recommended / items in train.
    pub coverage: f64,
}

/// Collects per-customer lists and their held-out items into [`Metrics`].
#[derive(Debug, Clone)]
pub struct MetricsAccumulator {
    k: usize,
    customers: usize,
    sums: [f64; 4],
    /// Whether each item index was recommended (grown as indices appear):
    /// a curve adds each list once per length, and a hash set's inserts
    /// were about 7 % of a 1M-interaction `item_item` training run.
    recommended: Vec<bool>,
}

impl MetricsAccumulator {
    /// An empty accumulator for lists of `k`.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            customers: 0,
            sums: [0.0; 4],
            recommended: Vec::new(),
        }
    }

    /// Adds one customer's list (best first) and held-out items.
    pub fn add(&mut self, recommended: &[u32], relevant: &HashSet<u32>) {
        let k = self.k;
        self.customers += 1;
        self.sums[0] += precision_at_k(recommended, relevant, k);
        self.sums[1] += recall_at_k(recommended, relevant, k);
        self.sums[2] += ndcg_at_k(recommended, relevant, k);
        self.sums[3] += average_precision_at_k(recommended, relevant, k);
        for &item in recommended.iter().take(k) {
            let i = item as usize;
            if i >= self.recommended.len() {
                self.recommended.resize(i + 1, false);
            }
            self.recommended[i] = true;
        }
    }

    /// The means; coverage is relative to `n_train_items`.
    pub fn finish(&self, n_train_items: usize) -> Metrics {
        let n = self.customers.max(1) as f64;
        Metrics {
            k: self.k,
            customers: self.customers,
            precision: self.sums[0] / n,
            recall: self.sums[1] / n,
            ndcg: self.sums[2] / n,
            map: self.sums[3] / n,
            coverage: if n_train_items == 0 {
                0.0
            } else {
                let distinct = self.recommended.iter().filter(|&&seen| seen).count();
                distinct as f64 / n_train_items as f64
            },
        }
    }
}

/// The outcome of running the protocol on one engine.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Engine name.
    pub engine: String,
    /// The metrics.
    pub metrics: Metrics,
    /// Train interactions.
    pub train_rows: usize,
    /// Test interactions.
    pub test_rows: usize,
    /// Distinct items in train (the candidates).
    pub train_items: usize,
    /// Seconds spent fitting.
    pub fit_secs: f64,
    /// Seconds spent recommending the lists of `k` for every evaluated
    /// customer, summed over the threads that make them in parallel (the
    /// longer lists of the curve are not counted).
    pub score_secs: f64,
    /// The metrics at every k = 1..=[`CURVE_K`], from the prefixes of one
    /// list of `CURVE_K` per customer.
    pub curve: Vec<Metrics>,
    /// Popularity bias of the lists of `k`.
    pub popularity_bias: PopularityBias,
}

/// Runs the whole protocol: split `data`, fit `engine` on train, recommend
/// `k` items to every customer with a test item (candidates: items seen in
/// train, less the customer's own train items) and measure; then the same
/// for one list of [`CURVE_K`] per customer, measured at every length.
pub fn evaluate(
    engine: &dyn DynRecommender,
    data: &Dataset,
    params: &Params,
    k: usize,
) -> Result<EvalReport, EngineError> {
    data.validate()?;
    let Split { train, test } = split(&data.interactions);
    let train = Dataset {
        interactions: train,
        n_customers: data.n_customers,
        n_items: data.n_items,
        items: data.items.clone(),
    };
    measure(engine, &train, &test, params, k, true)
}

/// The protocol of [`evaluate`] on a given split of `data`'s log (such as a
/// validation split carved out of a training part): fit on `parts.train`,
/// measure on `parts.test`. Without `curve`, the lists of [`CURVE_K`] are
/// not made and [`EvalReport::curve`] is empty. `data` supplies the catalogue
/// size and the item metadata; its own interactions are not read.
pub fn evaluate_split(
    engine: &dyn DynRecommender,
    data: &Dataset,
    parts: &Split,
    params: &Params,
    k: usize,
    curve: bool,
) -> Result<EvalReport, EngineError> {
    let train = Dataset {
        interactions: parts.train.clone(),
        n_customers: data.n_customers,
        n_items: data.n_items,
        items: data.items.clone(),
    };
    measure(engine, &train, &parts.test, params, k, curve)
}

/// Fits on `train` and measures on `test` (both ordered by customer, as
/// [`split`] leaves them): the work of [`evaluate`] and [`evaluate_split`],
/// with the training part owned by the caller so that [`evaluate`] need
/// not copy it (at 10,000,000 interactions the copy was 256 MB).
fn measure(
    engine: &dyn DynRecommender,
    train: &Dataset,
    test: &[Interaction],
    params: &Params,
    k: usize,
    curve: bool,
) -> Result<EvalReport, EngineError> {
    let started = Instant::now();
    let model = engine.fit(train, params)?;
    let fit_secs = started.elapsed().as_secs_f64();

    let mut in_train = vec![false; train.n_items];
    for x in &train.interactions {
        in_train[x.item as usize] = true;
    }
    let not_in_train: Vec<u32> = (0..train.n_items as u32)
        .filter(|&i| !in_train[i as usize])
        .collect();
    let train_items = train.n_items - not_in_train.len();

    let mut acc = MetricsAccumulator::new(k);
    let curve_k = if curve { CURVE_K } else { 0 };
    let mut curve: Vec<MetricsAccumulator> = (1..=curve_k).map(MetricsAccumulator::new).collect();
    let mut popularity = PopularityAccumulator::new(&train.interactions, train.n_items);
    let mut score_secs = 0.0;
    let customers = evaluated_customers(&train.interactions, test);
    for block in customers.chunks(LISTS_PER_BLOCK) {
        // The lists are made in parallel and measured in customer order, so
        // the sums (and so the metrics) do not depend on the thread count.
        let lists: Vec<Lists> = block
            .par_iter()
            .map(|customer| {
                let mut exclude = not_in_train.clone();
                exclude.extend(customer.seen.iter().map(|x| x.item));
                let items = |n: usize| -> Result<Vec<u32>, EngineError> {
                    let list = engine.rank(&model, customer.id, n, &exclude)?;
                    Ok(list.iter().map(|(item, _)| *item).collect())
                };
                let started = Instant::now();
                let top = items(k)?;
                let secs = started.elapsed().as_secs_f64();
                let long = if curve_k > 0 {
                    items(curve_k)?
                } else {
                    Vec::new()
                };
                Ok(Lists { top, long, secs })
            })
            .collect::<Result<_, EngineError>>()?;
        for (customer, lists) in block.iter().zip(lists) {
            score_secs += lists.secs;
            let relevant: HashSet<u32> = customer.held_out.iter().map(|x| x.item).collect();
            acc.add(&lists.top, &relevant);
            popularity.add(&lists.top);
            for at in &mut curve {
                at.add(&lists.long, &relevant);
            }
        }
    }
    Ok(EvalReport {
        engine: engine.describe().name,
        metrics: acc.finish(train_items),
        train_rows: train.interactions.len(),
        test_rows: test.len(),
        train_items,
        fit_secs,
        score_secs,
        curve: curve.iter().map(|at| at.finish(train_items)).collect(),
        popularity_bias: popularity.finish(),
    })
}

/// Customers whose lists [`measure`] makes in one parallel pass before
/// measuring them (bounds the lists held at once).
const LISTS_PER_BLOCK: usize = 4096;

/// One evaluated customer: its held-out rows and its training rows.
struct EvaluatedCustomer<'a> {
    id: u32,
    held_out: &'a [Interaction],
    seen: &'a [Interaction],
}

/// A customer's list of `k`, its list of [`CURVE_K`] (empty without the
/// curve) and the seconds the list of `k` took.
struct Lists {
    top: Vec<u32>,
    long: Vec<u32>,
    secs: f64,
}

/// Every customer with a `test` row, with its rows of `train` (both
/// ordered by customer).
fn evaluated_customers<'a>(
    train: &'a [Interaction],
    test: &'a [Interaction],
) -> Vec<EvaluatedCustomer<'a>> {
    let mut train_pos = 0;
    test.chunk_by(|a, b| a.customer == b.customer)
        .map(|held_out| {
            let id = held_out[0].customer;
            let start = train_pos + train[train_pos..].partition_point(|x| x.customer < id);
            let end = start + train[start..].partition_point(|x| x.customer == id);
            train_pos = end;
            EvaluatedCustomer {
                id,
                held_out,
                seen: &train[start..end],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
