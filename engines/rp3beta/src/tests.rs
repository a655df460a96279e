//! Unit tests of the RP3beta engine: the contract, and the walk against a
//! dense computation of the reference definition on a random matrix.

use rapport_core::testing::{check_contract, tiny_dataset};
use rapport_core::{Interaction, Params};

use super::*;

#[test]
fn contract() {
    check_contract(
        &Rp3Beta,
        &[
            ("alpha", "-1"),
            ("beta", "3"),
            ("neighbours", "0"),
            ("normalise", "maybe"),
        ],
    );
}

/// Eight customers by six items with weights 0 (absent) to 3, from a fixed LCG.
fn random_matrix() -> Vec<Vec<f64>> {
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % 7
    };
    (0..8)
        .map(|_| {
            (0..6)
                .map(|_| match next() {
                    v @ 1..=3 => v as f64,
                    _ => 0.0,
                })
                .collect()
        })
        .collect()
}

fn dataset(r: &[Vec<f64>]) -> Dataset {
    let mut interactions = Vec::new();
    for (u, row) in r.iter().enumerate() {
        for (i, &w) in row.iter().enumerate() {
            if w > 0.0 {
                interactions.push(Interaction {
                    customer: u as u32,
                    item: i as u32,
                    weight: w as f32,
                    timestamp: 0,
                    basket: None,
                });
            }
        }
    }
    Dataset {
        n_customers: r.len(),
        n_items: r[0].len(),
        interactions,
        items: vec![],
    }
}

/// W of the reference, dense: P_iu (binary, rows sum 1) times P_ui (rows
/// sum 1), both to the power alpha, columns divided by popularity^beta,
/// zero diagonal.
fn dense_walk(r: &[Vec<f64>], alpha: f64, beta: f64) -> Vec<Vec<f64>> {
    let (n_u, n_i) = (r.len(), r[0].len());
    let degree: Vec<f64> = (0..n_i)
        .map(|i| r.iter().filter(|row| row[i] > 0.0).count() as f64)
        .collect();
    let mut w = vec![vec![0.0; n_i]; n_i];
    for i in 0..n_i {
        for j in 0..n_i {
            if i == j || degree[j] == 0.0 {
                continue;
            }
            let mut sum = 0.0;
            for row in r.iter().take(n_u) {
                if row[i] > 0.0 && row[j] > 0.0 {
                    let total: f64 = row.iter().sum();
                    sum += (1.0 / degree[i]).powf(alpha) * (row[j] / total).powf(alpha);
                }
            }
            w[i][j] = sum / degree[j].powf(beta);
        }
    }
    w
}

#[test]
fn walks_match_a_dense_computation() {
    let r = random_matrix();
    let data = dataset(&r);
    for (alpha, beta) in [(1.0, 0.0), (0.7, 0.4), (1.5, 1.0)] {
        let dense = dense_walk(&r, alpha, beta);
        let fit = |k: usize, normalise: bool| {
            let params = Params::new()
                .with("alpha", alpha)
                .with("beta", beta)
                .with("neighbours", k)
                .with("normalise", normalise);
            Rp3Beta.fit(&data, &params).unwrap()
        };
        let full = fit(6, false);
        let top2 = fit(2, true);
        for (i, row) in dense.iter().enumerate() {
            let (targets, weights) = full.walks.of(i);
            for (j, &want) in row.iter().enumerate() {
                let got = targets
                    .iter()
                    .position(|&t| t as usize == j)
                    .map_or(0.0, |p| weights[p]);
                assert!((got - want).abs() < 1e-12, "W[{i}][{j}] {got} vs {want}");
            }
            // Kept: the two largest, rescaled to sum 1.
            let mut ranked: Vec<(u32, f64)> = row
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .map(|(j, &w)| (j as u32, w))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            ranked.truncate(2);
            let total: f64 = ranked.iter().map(|(_, w)| w).sum();
            let (targets, weights) = top2.walks.of(i);
            assert_eq!(targets.len(), ranked.len());
            for ((t, w), (j, v)) in targets.iter().zip(weights).zip(&ranked) {
                assert_eq!(t, j);
                assert!((w - v / total).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn scores_and_reasons_follow_the_walk() {
    let r = random_matrix();
    let model = Rp3Beta
        .fit(&dataset(&r), &Params::new().with("neighbours", 6))
        .unwrap();
    let (items, weights) = model.history.history(0).unwrap();
    let list = Rp3Beta.recommend(&model, 0, 3, &[]).unwrap();
    for rec in &list {
        let want: f64 = items
            .iter()
            .zip(weights)
            .map(|(&i, &w)| {
                let (targets, walk) = model.walks.of(i);
                w * targets
                    .iter()
                    .position(|&t| t == rec.item)
                    .map_or(0.0, |p| walk[p])
            })
            .sum();
        assert!((rec.score - want).abs() < 1e-12);
        let explained: f64 = rec.reasons.iter().map(|x| x.weight).sum();
        assert!(explained <= want + 1e-12 && !rec.reasons.is_empty());
    }
    let similar = Rp3Beta.similar_items(&model, 1, 2).unwrap();
    assert_eq!(
        similar.iter().map(|s| s.item).collect::<Vec<_>>(),
        model.walks.of(1).0[..similar.len()].to_vec()
    );
    assert!(
        Rp3Beta
            .recommend(
                &Rp3Beta.fit(&tiny_dataset(), &Params::new()).unwrap(),
                3,
                2,
                &[]
            )
            .unwrap()
            .is_empty()
    );
}
