//! Unit tests of the ALS engine on small hand-checkable inputs.

use nalgebra::DVector;
use rapport_core::testing::{check_contract, tiny_dataset};
use rapport_core::{Interaction, Params};

use super::*;
use crate::train::{Scratch, solve_row};

#[test]
fn contract() {
    check_contract(
        &Als,
        &[
            ("factors", "0"),
            ("iterations", "0"),
            ("regularisation", "0"),
            ("alpha", "-1"),
            ("cg_steps", "0"),
            ("seed", "-1"),
            ("threads", "x"),
        ],
    );
}

/// Six item rows of four factors, of mixed signs and sizes.
fn item_factors() -> Factors {
    let data = (0..24)
        .map(|v| ((v * 37 % 23) as f32 - 11.0) / 10.0)
        .collect();
    Factors::new(4, data)
}

/// Relative residual `|A x - b| / |b|` of one row's normal equations.
fn residual(gram: &[f64], items: &Factors, row: &Row<'_>, x: &[f32]) -> f64 {
    let (a, b) = explain::normal_equations(gram, items, row);
    let x = DVector::from_iterator(x.len(), x.iter().map(|&v| f64::from(v)));
    (a * x - &b).norm() / b.norm()
}

#[test]
fn conjugate_gradient_solves_the_rows_normal_equations() {
    let items = item_factors();
    let gram64 = items.gram(0.1);
    let gram: Vec<f32> = gram64.iter().map(|&g| g as f32).collect();
    // Confidences 3, 6 and a dislike of confidence 3 (preference 0).
    let (indices, weights) = ([0usize, 2, 5], [1.0, 2.0, -1.0]);
    let row = Row {
        indices: &indices,
        weights: &weights,
        alpha: 3.0,
    };
    let mut scratch = Scratch::new(4);
    let start = [0.5f32, -0.5, 0.25, 1.0];
    let mut one_step = start;
    solve_row(&gram, &items, &row, 1, &mut one_step, &mut scratch);
    // In exact arithmetic CG solves a 4 x 4 system in 4 steps.
    let mut four_steps = start;
    solve_row(&gram, &items, &row, 4, &mut four_steps, &mut scratch);
    let before = residual(&gram64, &items, &row, &start);
    let after_one = residual(&gram64, &items, &row, &one_step);
    let after_four = residual(&gram64, &items, &row, &four_steps);
    assert!(after_one < before, "{after_one} vs {before}");
    assert!(after_four < 1e-4, "{after_four}");
    // Warm-started from the solution, it stays there.
    let mut again = four_steps;
    solve_row(&gram, &items, &row, 3, &mut again, &mut scratch);
    assert!(residual(&gram64, &items, &row, &again) < 1e-4);
    // A row without entries gets zeros.
    let empty = Row {
        indices: &[],
        weights: &[],
        alpha: 3.0,
    };
    solve_row(&gram, &items, &empty, 3, &mut again, &mut scratch);
    assert_eq!(again, [0.0; 4]);
}

#[test]
fn enough_factors_reproduce_the_binary_matrix() {
    // Five factors for five items, almost no regularisation, confidence 1
    // everywhere: the least squares of the 0/1 matrix is its exact copy.
    // Rows: c0 {0, 1, 2}, c1 {0, 1}, c2 {1, 3}, c3 none.
    let params = Params::new()
        .with("factors", 5)
        .with("regularisation", 1e-5)
        .with("iterations", 60)
        .with("cg_steps", 5)
        .with("binary", true);
    let model = Als.fit(&tiny_dataset(), &params).unwrap();
    let held: [&[usize]; 4] = [&[0, 1, 2], &[0, 1], &[1, 3], &[]];
    for (c, items) in held.iter().enumerate() {
        for j in 0..5 {
            let score = dot(model.users.row(c), model.items.row(j));
            let want = if items.contains(&j) { 1.0 } else { 0.0 };
            assert!((score - want).abs() < 0.02, "c{c} item {j}: {score}");
        }
    }
    assert!(model.users.row(3).iter().all(|&v| v == 0.0));
    assert!(model.items.row(4).iter().all(|&v| v == 0.0));
}

#[test]
fn reasons_decompose_the_exact_solve() {
    let params = Params::new().with("factors", 3).with("alpha", 4);
    let model = Als.fit(&tiny_dataset(), &params).unwrap();
    let (items, weights) = model.history.history(0).unwrap();
    let row = model.row(items, weights);
    let (a, b) = explain::normal_equations(&model.gram, &model.items, &row);
    let exact = a.lu().solve(&b).unwrap();
    let candidates = [3u32, 4, 1];
    let parts = explain::contributions(&model.gram, &model.items, &row, &candidates);
    for (&j, pairs) in candidates.iter().zip(&parts) {
        let y = model.items.row(j as usize);
        let want: f64 = exact.iter().zip(y).map(|(x, &y)| x * f64::from(y)).sum();
        let got: f64 = pairs.iter().map(|(_, w)| w).sum();
        assert!((got - want).abs() < 1e-9, "item {j}: {got} vs {want}");
        let from: Vec<u32> = pairs.iter().map(|(i, _)| *i).collect();
        assert_eq!(from, vec![0, 1, 2]);
    }
    let list = Als.recommend(&model, 0, 2, &[0, 1, 2]).unwrap();
    assert_eq!(list.len(), 2);
    for r in &list {
        assert!(r.reasons.iter().all(|reason| reason.item <= 2));
    }
}

/// 200 customers over 40 items, each touching 8 items in a pattern.
fn larger_dataset() -> Dataset {
    let interactions = (0..200u32)
        .flat_map(|c| {
            (0..8u32).map(move |t| Interaction {
                customer: c,
                item: (c * 7 + t * (c % 5 + 1)) % 40,
                weight: 1.0 + (t % 3) as f32,
                timestamp: i64::from(t),
                basket: None,
            })
        })
        .collect();
    Dataset {
        n_customers: 200,
        n_items: 40,
        interactions,
        items: vec![],
    }
}

#[test]
fn seeded_fits_are_identical_whatever_the_thread_count() {
    let data = larger_dataset();
    let fit = |threads: u32, seed: u32| {
        let params = Params::new()
            .with("threads", threads)
            .with("seed", seed)
            .with("factors", 8);
        Als.to_bytes(&Als.fit(&data, &params).unwrap()).unwrap()
    };
    let one = fit(1, 7);
    assert_eq!(one, fit(3, 7));
    assert_eq!(one, fit(1, 7));
    assert_ne!(one, fit(1, 8));
    let model = Als.from_bytes(&one).unwrap();
    assert_eq!(
        Als.from_bytes(&Als.to_bytes(&model).unwrap()).unwrap(),
        model
    );
}

#[test]
fn similar_items_rank_by_factor_cosine() {
    let model = Als
        .fit(&larger_dataset(), &Params::new().with("factors", 8))
        .unwrap();
    let similar = Als.similar_items(&model, 5, 3).unwrap();
    assert_eq!(similar.len(), 3);
    let y = model.items.row(5);
    let cosine = |j: usize| {
        let z = model.items.row(j);
        dot(y, z) / (dot(y, y) * dot(z, z)).sqrt()
    };
    let best = (0..40)
        .filter(|&j| j != 5)
        .max_by(|&a, &b| cosine(a).total_cmp(&cosine(b)))
        .unwrap();
    assert_eq!(similar[0].item as usize, best);
    assert!((similar[0].score - cosine(best)).abs() < 1e-6);
    assert!(similar.windows(2).all(|w| w[0].score >= w[1].score));
}
