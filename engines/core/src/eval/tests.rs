//! Unit tests of the evaluation protocol.

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
