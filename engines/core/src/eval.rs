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
    /// were a tenth of a 1M-interaction training run.
    recommended: Vec<bool>,
    distinct: usize,
}

impl MetricsAccumulator {
    /// An empty accumulator for lists of `k`.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            customers: 0,
            sums: [0.0; 4],
            recommended: Vec::new(),
            distinct: 0,
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
            if !std::mem::replace(&mut self.recommended[i], true) {
                self.distinct += 1;
            }
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
                self.distinct as f64 / n_train_items as f64
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
mod tests {
    use super::*;

    fn set(items: &[u32]) -> HashSet<u32> {
        items.iter().copied().collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Three customers, four items, k = 2.
    ///
    /// A: list [0, 1], test {1}: hit at rank 2. P = 1/2, R = 1/1,
    ///    NDCG = (1/log2 3) / 1 = 0.6309297536, AP = (1/2) / min(1, 2) = 0.5.
    /// B: list [2, 1], test {2, 0, 3}: hit at rank 1. P = 1/2, R = 1/3,
    ///    NDCG = 1 / (1 + 1/log2 3) = 0.6131471928, AP = (1/1) / min(3, 2) = 0.5.
    /// C: list [0, 2], test {3}: no hit, every metric 0.
    /// Means: P = 1/3, R = (1 + 1/3) / 3 = 4/9, NDCG = 1.2440769464 / 3 =
    /// 0.4146923155, MAP = 1/3. Coverage: {0, 1, 2} of 4 train items = 0.75.
    #[test]
    fn hand_computed_three_by_four() {
        let cases = [
            (vec![0, 1], set(&[1])),
            (vec![2, 1], set(&[2, 0, 3])),
            (vec![0, 2], set(&[3])),
        ];
        assert!(close(ndcg_at_k(&cases[0].0, &cases[0].1, 2), 0.6309297536));
        assert!(close(ndcg_at_k(&cases[1].0, &cases[1].1, 2), 0.6131471928));
        assert!(close(
            average_precision_at_k(&cases[1].0, &cases[1].1, 2),
            0.5
        ));
        assert!(close(recall_at_k(&cases[1].0, &cases[1].1, 2), 1.0 / 3.0));
        let mut acc = MetricsAccumulator::new(2);
        for (list, test) in &cases {
            acc.add(list, test);
        }
        let m = acc.finish(4);
        assert_eq!(m.customers, 3);
        assert!(close(m.precision, 1.0 / 3.0), "{m:?}");
        assert!(close(m.recall, 4.0 / 9.0), "{m:?}");
        assert!(close(m.ndcg, 0.4146923155), "{m:?}");
        assert!(close(m.map, 1.0 / 3.0), "{m:?}");
        assert!(close(m.coverage, 0.75), "{m:?}");
    }

    /// k = 3, test {0, 1}: list [1, 5, 0] hits at ranks 1 and 3.
    /// AP = (1/1 + 2/3) / min(2, 3) = 0.8333333333;
    /// NDCG = (1 + 1/log2 4) / (1 + 1/log2 3) = 1.5 / 1.6309297536 = 0.9197207891.
    #[test]
    fn hand_computed_hits_with_a_gap() {
        let test = set(&[0, 1]);
        let list = [1, 5, 0];
        assert!(close(average_precision_at_k(&list, &test, 3), 0.8333333333));
        assert!(close(ndcg_at_k(&list, &test, 3), 0.9197207891));
        assert!(close(precision_at_k(&list, &test, 3), 2.0 / 3.0));
        // A short list still divides precision by k.
        assert!(close(precision_at_k(&[1], &test, 3), 1.0 / 3.0));
        assert_eq!(ndcg_at_k(&list, &HashSet::new(), 3), 0.0);
    }

    fn x(customer: u32, item: u32, timestamp: i64) -> Interaction {
        Interaction {
            customer,
            item,
            weight: 1.0,
            timestamp,
            basket: None,
        }
    }

    #[test]
    fn split_follows_the_protocol() {
        // Customer 0: 6 interactions, ceil(1.2) = 2 to test; the time tie at
        // t = 5 is broken by item, so items 4 then 9 are last.
        // Customer 1: 4 interactions, all train. Customer 2: 5, one to test.
        let log = vec![
            x(0, 9, 5),
            x(0, 1, 1),
            x(0, 2, 2),
            x(0, 3, 3),
            x(0, 4, 5),
            x(0, 0, 4),
            x(1, 1, 1),
            x(1, 2, 2),
            x(1, 3, 3),
            x(1, 4, 4),
            x(2, 0, 9),
            x(2, 1, 8),
            x(2, 2, 7),
            x(2, 3, 6),
            x(2, 4, 5),
        ];
        let s = split(&log);
        let test: Vec<(u32, u32)> = s.test.iter().map(|x| (x.customer, x.item)).collect();
        assert_eq!(test, vec![(0, 4), (0, 9), (2, 0)]);
        assert_eq!(s.train.len(), 12);
        let first: Vec<u32> = s.train.iter().take(4).map(|x| x.item).collect();
        assert_eq!(first, vec![1, 2, 3, 0]);
    }

    /// Customer 0: items 0, 1, 2, 3, 4 at t = 1..5: train {0, 1, 2, 3}, test {4}.
    /// Customer 1: items 1, 2, 3, 5, 4: train {1, 2, 3, 5}, test {4}.
    /// Customer 2: items 0, 0, 4, all train (fewer than five).
    /// Train counts: item 0: 3; items 1, 2, 3: 2; items 4, 5: 1; 6 train items.
    ///
    /// [`ByIndex`] lists the lowest indices not excluded: c0 gets [4, 5] (hit
    /// at rank 1), c1 gets [0, 4] (hit at rank 2).
    /// k = 2: P = 1/2, R = 1, NDCG = (1 + 1/log2 3) / 2 = 0.8154648768,
    /// MAP = (1 + 1/2) / 2 = 0.75, coverage {0, 4, 5} / 6 = 0.5.
    /// k = 1: [4] hits, [0] misses: P = R = NDCG = MAP = 0.5, coverage 2/6.
    /// k = 20: the same two-item lists: P = 1/20, the rest as at k = 2.
    ///
    /// Popularity ranks: items 4, 5 tie on ranks 1, 2 (mean 1.5), items 1, 2, 3
    /// on 3, 4, 5 (mean 4), item 0 is 6; percentiles 100 (r - 1) / 5: 10, 60,
    /// 100. Slots 4, 5, 0, 4: mean (10 + 10 + 100 + 10) / 4 = 32.5. The top
    /// max(1, 6 / 100) = 1 item is item 0: one slot of four, 0.25.
    /// The lists are made in parallel, a block of customers at a time, and
    /// measured in customer order: the report is the same, to the last bit,
    /// on one thread and on three, over more customers than one block holds.
    #[test]
    fn evaluation_does_not_depend_on_the_thread_count() {
        use crate::testing::ByIndex;
        let customers = LISTS_PER_BLOCK as u32 + 900;
        let mut log = Vec::new();
        for c in 0..customers {
            // Histories of 5 to 17 items, spread over 40 items.
            for t in 0..(5 + c % 13) {
                log.push(x(c, (c * 7 + t * t) % 40, i64::from(t)));
            }
        }
        let data = Dataset {
            n_customers: customers as usize,
            n_items: 40,
            interactions: log,
            items: vec![],
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let report = pool
                .install(|| evaluate(&ByIndex("by_index"), &data, &Params::new(), 10))
                .unwrap();
            (report.metrics, report.curve, report.popularity_bias)
        };
        let one = on(1);
        assert_eq!(one.0.customers, customers as usize);
        assert!(one.0.ndcg > 0.0 && one.0.ndcg < 1.0, "{:?}", one.0);
        assert_eq!(on(3), one);
    }

    #[test]
    fn evaluate_reports_the_curve_and_popularity_bias() {
        use crate::testing::ByIndex;
        let mut log = Vec::new();
        for (customer, items) in [
            (0, vec![0, 1, 2, 3, 4]),
            (1, vec![1, 2, 3, 5, 4]),
            (2, vec![0, 0, 4]),
        ] {
            for (t, item) in items.into_iter().enumerate() {
                log.push(x(customer, item, t as i64 + 1));
            }
        }
        let data = Dataset {
            n_customers: 3,
            n_items: 6,
            interactions: log,
            items: vec![],
        };
        let report = evaluate(&ByIndex("by_index"), &data, &Params::new(), 2).unwrap();
        assert_eq!(
            (report.train_rows, report.test_rows, report.train_items),
            (11, 2, 6)
        );
        let m = report.metrics;
        assert_eq!((m.k, m.customers), (2, 2));
        assert!(close(m.precision, 0.5) && close(m.recall, 1.0), "{m:?}");
        assert!(close(m.ndcg, 0.8154648768) && close(m.map, 0.75), "{m:?}");
        assert!(close(m.coverage, 0.5), "{m:?}");

        assert_eq!(report.curve.len(), CURVE_K);
        assert_eq!(
            report.curve.iter().map(|c| c.k).collect::<Vec<_>>(),
            (1..=20).collect::<Vec<_>>()
        );
        assert_eq!(report.curve[1], m);
        let one = report.curve[0];
        assert!(
            close(one.precision, 0.5) && close(one.recall, 0.5),
            "{one:?}"
        );
        assert!(close(one.ndcg, 0.5) && close(one.map, 0.5), "{one:?}");
        assert!(close(one.coverage, 2.0 / 6.0), "{one:?}");
        let last = report.curve[19];
        assert!(
            close(last.precision, 0.05) && close(last.recall, 1.0),
            "{last:?}"
        );
        assert!(
            close(last.ndcg, 0.8154648768) && close(last.map, 0.75),
            "{last:?}"
        );

        let parts = split(&data.interactions);
        let plain = evaluate_split(
            &ByIndex("by_index"),
            &data,
            &parts,
            &Params::new(),
            2,
            false,
        )
        .unwrap();
        assert_eq!(plain.metrics, m);
        assert!(plain.curve.is_empty());

        let bias = report.popularity_bias;
        assert_eq!(bias.top_items, 1);
        assert!(close(bias.top_share, 0.25), "{bias:?}");
        assert!(close(bias.mean_percentile, 32.5), "{bias:?}");
    }

    /// 250 train items with counts 1..=250: the top max(1, 250 / 100) = 2 are
    /// items 249 and 248; an item alone at rank r has percentile
    /// 100 (r - 1) / 249. An item outside train counts as 0; nothing added
    /// gives zeros.
    #[test]
    fn popularity_top_set_and_percentiles() {
        let train: Vec<Interaction> = (0..250u32)
            .flat_map(|item| (0..=item).map(move |t| x(0, item, i64::from(t))))
            .collect();
        let mut acc = PopularityAccumulator::new(&train, 251);
        assert_eq!(
            acc.finish(),
            PopularityBias {
                top_items: 2,
                top_share: 0.0,
                mean_percentile: 0.0
            }
        );
        acc.add(&[249, 248, 0, 250]);
        let bias = acc.finish();
        assert!(close(bias.top_share, 0.5), "{bias:?}");
        let expected = (100.0 + 100.0 * 248.0 / 249.0 + 0.0 + 0.0) / 4.0;
        assert!(close(bias.mean_percentile, expected), "{bias:?}");
        // A single train item is both the least and the most popular: 100.
        let mut single = PopularityAccumulator::new(&train[..1], 3);
        single.add(&[0]);
        assert_eq!(single.finish().mean_percentile, 100.0);
        assert_eq!(PopularityAccumulator::new(&[], 3).finish().top_items, 0);
    }
}
