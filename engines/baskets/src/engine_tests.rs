//! The engine behind the `Recommender` trait, and the serving index.

use rapport_core::testing::{check_contract, tiny_dataset};
use rapport_core::{Dataset, EngineError, Interaction, Params, Recommender};

use crate::engine::Baskets;

#[test]
fn contract() {
    check_contract(
        &Baskets,
        &[
            ("min_support", "1.5"),
            ("min_support", "x"),
            ("min_confidence", "-0.1"),
            ("max_len", "0"),
            ("max_itemsets", "0"),
            ("basket", "week"),
            ("kinds", " , "),
        ],
    );
}

#[test]
fn a_customer_gets_what_completes_their_latest_basket() {
    // Tiny data, one basket per customer (all on one day): {0,1,2}, {0,1}, {1,3}.
    let model = Baskets.fit(&tiny_dataset(), &Params::new()).unwrap();
    assert_eq!(model.stats.n_baskets, 3);
    assert_eq!(model.stats.min_count, 1);
    assert_eq!(model.stats.itemsets_by_size, vec![4, 4, 1]);
    assert_eq!(model.latest_basket(1).unwrap(), &[0, 1]);
    // Customer 1 holds {0, 1}: item 2 by 0 -> 2 or {0,1} -> 2 (confidence 1/2),
    // item 3 by 1 -> 3 (1/3); rules whose consequent holds 0 or 1 do not apply.
    let list = Baskets.recommend(&model, 1, 5, &[]).unwrap();
    let got: Vec<(u32, f64)> = list.iter().map(|r| (r.item, r.score)).collect();
    assert_eq!(got, vec![(2, 0.5), (3, 1.0 / 3.0)]);
    let reasons: Vec<(u32, f64)> = list[0].reasons.iter().map(|r| (r.item, r.weight)).collect();
    assert_eq!(reasons, vec![(0, 0.5), (1, 0.5)]);
    let suggestions = model.index.complete(&[0, 1], 5, &[]);
    assert_eq!(suggestions[0].n_rules, 3);
    let best = &model.index.rules()[suggestions[0].rules[0]];
    assert_eq!(
        (best.antecedent_text(), best.consequent_text()),
        ("0".into(), "2".into())
    );
    assert_eq!(suggestions[0].lift, 1.5);
    // Exclusions and k.
    assert_eq!(Baskets.recommend(&model, 1, 5, &[2]).unwrap()[0].item, 3);
    assert_eq!(Baskets.recommend(&model, 1, 1, &[]).unwrap().len(), 1);
    // Customer 3 has no basket: nothing to complete.
    assert!(Baskets.recommend(&model, 3, 5, &[]).unwrap().is_empty());
    assert_eq!(
        Baskets.recommend(&model, 4, 5, &[]).unwrap_err(),
        EngineError::UnknownCustomer(4)
    );
}

#[test]
fn bought_together_lists_single_item_rules_in_rank_order() {
    let model = Baskets.fit(&tiny_dataset(), &Params::new()).unwrap();
    // From item 0: 0 -> 1,2 and 0 -> 2 (lift 3/2, confidence 1/2; "1,2" < "2"), then
    // 0 -> 1 (lift 1, confidence 1).
    let rules: Vec<String> = model
        .index
        .bought_together(0, 10)
        .iter()
        .map(|r| r.consequent_text())
        .collect();
    assert_eq!(rules, vec!["1,2", "2", "1"]);
    assert_eq!(model.index.bought_together(0, 1).len(), 1);
    assert!(model.index.bought_together(4, 10).is_empty());
    assert!(model.index.bought_together(99, 10).is_empty());
    // As similar items: 1 (confidence 1), then 2 (1/2).
    let similar = Baskets.similar_items(&model, 0, 5).unwrap();
    let got: Vec<(u32, f64)> = similar.iter().map(|r| (r.item, r.score)).collect();
    assert_eq!(got, vec![(1, 1.0), (2, 0.5)]);
    assert_eq!(similar[0].reasons[0].item, 0);
}

fn at(customer: u32, item: u32, timestamp: i64) -> Interaction {
    Interaction {
        customer,
        item,
        weight: 1.0,
        timestamp,
        basket: None,
    }
}

#[test]
fn without_basket_ids_baskets_are_customer_days_and_the_latest_day_is_used() {
    let day = 86_400;
    let data = Dataset {
        n_customers: 2,
        n_items: 4,
        interactions: vec![
            at(0, 0, day),
            at(0, 1, day + 5),
            at(0, 2, 2 * day), // the next UTC day: the latest basket
            at(1, 0, 3 * day),
            at(1, 1, 4 * day - 1),
            Interaction {
                weight: -2.0,
                ..at(1, 3, 4 * day - 1)
            }, // a return: left out
        ],
        items: vec![],
    };
    let by_day = Baskets.fit(&data, &Params::new()).unwrap();
    assert_eq!(by_day.stats.n_baskets, 3);
    assert_eq!(by_day.latest_basket(0).unwrap(), &[2]);
    assert_eq!(by_day.latest_basket(1).unwrap(), &[0, 1]);
    // {0,1} is in 2 of 3 day-baskets, {0,2} in none.
    assert_eq!(by_day.stats.itemsets_by_size, vec![3, 1]);
    let whole = Baskets
        .fit(&data, &Params::new().with("basket", "customer"))
        .unwrap();
    assert_eq!(whole.stats.n_baskets, 2);
    assert_eq!(whole.latest_basket(0).unwrap(), &[0, 1, 2]);
    assert_eq!(whole.stats.itemsets_by_size, vec![3, 3, 1]);
}

#[test]
fn thresholds_are_read_exactly_and_caps_are_parameter_errors() {
    // 1 -> 3 has confidence 1/3 exactly (1 basket of 3 holding item 1).
    let fit = |c: &str| {
        Baskets
            .fit(&tiny_dataset(), &Params::new().with("min_confidence", c))
            .unwrap()
    };
    let third = fit("0.333333333333333333").stats.n_rules;
    assert_eq!(third, fit("0.3333").stats.n_rules);
    assert!(fit("0.33333333333333334").stats.n_rules < third);
    let err = Baskets
        .fit(&tiny_dataset(), &Params::new().with("max_itemsets", 3))
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::InvalidParam { name, .. } if name == "min_support"),
        "{err}"
    );
    let err = Baskets
        .fit(&tiny_dataset(), &Params::new().with("max_rules", 2))
        .unwrap_err();
    assert!(matches!(&err, EngineError::InvalidParam { name, .. } if name == "min_confidence"));
    // At support 1/2, itemsets need 2 of 3 baskets: {0}, {1}, {0,1}.
    let half = Baskets
        .fit(&tiny_dataset(), &Params::new().with("min_support", "0.5"))
        .unwrap();
    assert_eq!(half.stats.min_count, 2);
    assert_eq!(half.stats.itemsets_by_size, vec![2, 1]);
}

#[test]
fn models_round_trip_through_bytes() {
    let model = Baskets.fit(&tiny_dataset(), &Params::new()).unwrap();
    let back = Baskets
        .from_bytes(&Baskets.to_bytes(&model).unwrap())
        .unwrap();
    assert_eq!(back, model);
}
