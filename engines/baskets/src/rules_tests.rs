//! Rule metrics, the exact confidence threshold and the ranking's tie-breaks.

use crate::error::BasketError;
use crate::fpgrowth::{FrequentItemsets, Itemset, MiningConfig};
use crate::fraction::Fraction;
use crate::rules::{Rule, RuleConfig, association_rules, rank_rules};
use crate::{Mined, mine};

/// Six baskets: n(1) = 4, n(2) = 3, n(3) = 3, n(4) = 3, n(1,2) = 3,
/// n(1,3) = 2; every other pair is in one basket only.
fn table() -> Vec<Vec<u32>> {
    vec![
        vec![1, 2, 3],
        vec![1, 2],
        vec![1, 2, 4],
        vec![3, 4],
        vec![1, 3],
        vec![4],
    ]
}

fn mined(min_support: &str, min_confidence: &str) -> Mined {
    mine(
        &table(),
        &MiningConfig {
            min_support: min_support.parse().unwrap(),
            max_len: 4,
            max_itemsets: 1000,
        },
        &RuleConfig {
            min_confidence: min_confidence.parse().unwrap(),
            max_rules: 1000,
        },
    )
    .unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn texts(rules: &[Rule]) -> Vec<String> {
    rules
        .iter()
        .map(|r| format!("{}->{}", r.antecedent_text(), r.consequent_text()))
        .collect()
}

#[test]
fn metrics_match_hand_computed_values() {
    // 0.3 * 6 = 1.8: itemsets in 2 baskets or more: four items, {1,2} and {1,3}.
    let m = mined("0.3", "0.5");
    assert_eq!(m.itemsets.min_count, 2);
    assert_eq!(m.itemsets.count_by_size(), vec![4, 2]);
    // By lift (1.5, 1.5, 1, 1), then confidence (1, 3/4, 2/3, 1/2).
    assert_eq!(texts(&m.rules), vec!["2->1", "1->2", "3->1", "1->3"]);
    let [r21, r12, r31, r13] = &m.rules[..] else {
        panic!("four rules")
    };
    // 2 -> 1: support 3/6, confidence 3/3, lift 3*6/(3*4), conviction infinite.
    assert_eq!(
        (
            r21.n_antecedent,
            r21.n_consequent,
            r21.n_both,
            r21.n_baskets
        ),
        (3, 4, 3, 6)
    );
    assert!(close(r21.support(), 0.5) && close(r21.confidence(), 1.0) && close(r21.lift(), 1.5));
    assert_eq!(r21.conviction(), None);
    // 1 -> 2: confidence 3/4; conviction (1 - 3/6) / (1 - 3/4) = 2.
    assert!(close(r12.confidence(), 0.75) && close(r12.lift(), 1.5));
    assert!(close(r12.conviction().unwrap(), 2.0));
    assert_eq!(r12.lift_fraction(), (18, 12));
    // 3 -> 1: support 2/6, confidence 2/3, lift 2*6/(3*4) = 1, conviction (1/3)/(1/3) = 1.
    assert!(close(r31.support(), 1.0 / 3.0) && close(r31.confidence(), 2.0 / 3.0));
    assert!(close(r31.lift(), 1.0) && close(r31.conviction().unwrap(), 1.0));
    // 1 -> 3: confidence 2/4 = 1/2, exactly the threshold: kept.
    assert_eq!(r13.confidence_fraction(), (2, 4));
    assert!(close(r13.conviction().unwrap(), 1.0));
}

#[test]
fn confidence_equal_to_the_threshold_is_kept_exactly() {
    // 1 -> 2 has confidence exactly 3/4.
    assert_eq!(texts(&mined("0.3", "0.75").rules), vec!["2->1", "1->2"]);
    assert_eq!(texts(&mined("0.3", "0.750000001").rules), vec!["2->1"]);
    // MovieLens at 0.25: 423 -> 204 has n(S) = 240, n(A) = 300 (0.8 exactly).
    // The float ratio of supports is 0.7999999999999999 and would drop it.
    let n = 943u32;
    let float_confidence = (240.0 / f64::from(n)) / (300.0 / f64::from(n));
    assert!(float_confidence < 0.8);
    let itemsets = FrequentItemsets {
        n_baskets: n,
        min_count: 236,
        itemsets: vec![
            Itemset {
                items: vec![204],
                count: 400,
            },
            Itemset {
                items: vec![423],
                count: 300,
            },
            Itemset {
                items: vec![204, 423],
                count: 240,
            },
        ],
    };
    for threshold in [Fraction::from_f64(0.8).unwrap(), "0.80".parse().unwrap()] {
        let rules = association_rules(
            &itemsets,
            &RuleConfig {
                min_confidence: threshold,
                max_rules: 10,
            },
        )
        .unwrap();
        assert_eq!(texts(&rules), vec!["423->204"], "{threshold}");
    }
}

fn rule(antecedent: &[u32], consequent: &[u32], counts: (u32, u32, u32)) -> Rule {
    Rule {
        antecedent: antecedent.to_vec(),
        consequent: consequent.to_vec(),
        n_antecedent: counts.0,
        n_consequent: counts.1,
        n_both: counts.2,
        n_baskets: 100,
    }
}

#[test]
fn ranking_breaks_ties_by_confidence_then_text() {
    let rules = vec![
        // Lift 2 * 100 / (10 * 10) = 2, confidence 1/5.
        rule(&[9], &[1], (10, 10, 2)),
        // Same lift and confidence: antecedent text "10" < "9".
        rule(&[10], &[1], (10, 10, 2)),
        // Same antecedent text: consequent "1,2" < "3".
        rule(&[10], &[3], (10, 10, 2)),
        rule(&[10], &[1, 2], (10, 10, 2)),
        // Lift 4 * 100 / (20 * 5) = 4, the same as 2 * 100 / (5 * 10) = 4;
        // confidence 4/20 loses to 2/5.
        rule(&[5], &[6], (20, 5, 4)),
        rule(&[7], &[8], (5, 10, 2)),
        // Highest lift: 3 * 100 / (3 * 10) = 10.
        rule(&[2, 11], &[4], (3, 10, 3)),
    ];
    assert_eq!(
        texts(&rank_rules(rules)),
        vec![
            "2,11->4", "7->8", "5->6", "10->1", "10->1,2", "10->3", "9->1"
        ]
    );
}

#[test]
fn the_rule_cap_names_the_threshold_to_raise() {
    let itemsets = mined("0.3", "0").itemsets;
    let err = association_rules(
        &itemsets,
        &RuleConfig {
            min_confidence: "0.1".parse().unwrap(),
            max_rules: 3,
        },
    )
    .unwrap_err();
    assert!(matches!(err, BasketError::TooManyRules { limit: 3, .. }));
    assert!(err.to_string().contains("raise min_confidence"), "{err}");
    // Four rules from {1,2} and {1,3} at any confidence.
    assert_eq!(mined("0.3", "0").rules.len(), 4);
}
