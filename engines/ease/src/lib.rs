//! The `ease` engine (Steck, 2019): item-item weights in closed form,
//! B = I - P / diag(P) with P = (X^T X + lambda I)^-1 and a zero diagonal; a
//! customer's scores are their history row times B. The Gram matrix is dense
//! over the items that occur in the data, so the catalogue is capped. P comes
//! from faer's Cholesky factorisation in f64; when a bound on the matrix's
//! condition number allows, the two steps after it run in f32, twice as fast.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod inverse;

use faer::Par;
use rapport_core::DataNeed;
use rapport_core::matrix::{CustomerRows, InteractionMatrix, MatrixOptions};
use rapport_core::ranking::{Exclusion, explained, similar_to, top_k_dense, top_k_pairs};
use rapport_core::{
    Dataset, EngineDescription, EngineError, ParamSpec, Params, Recommendation, Recommender, Search,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Marks an item absent from the training data.
const INACTIVE: u32 = u32::MAX;

/// The EASE engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ease;

/// A fitted EASE model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EaseModel {
    history: CustomerRows,
    /// Position of each item among the active ones, or [`INACTIVE`].
    position: Vec<u32>,
    /// Item index of each active position.
    active: Vec<u32>,
    /// B over active items, row-major: row i holds what item i adds to each item.
    weights: Vec<f32>,
}

impl EaseModel {
    fn row(&self, position: usize) -> &[f32] {
        let m = self.active.len();
        self.weights
            .get(position * m..(position + 1) * m)
            .unwrap_or(&[])
    }

    fn weight(&self, from: usize, to: usize) -> f64 {
        match (self.position.get(from), self.position.get(to)) {
            (Some(&p), Some(&q)) if p != INACTIVE && q != INACTIVE => self
                .row(p as usize)
                .get(q as usize)
                .map_or(0.0, |&b| f64::from(b)),
            _ => 0.0,
        }
    }
}

/// The items that occur in `matrix`, ascending, and each item's position
/// among them ([`INACTIVE`] for the others).
fn active_items(matrix: &InteractionMatrix) -> (Vec<u32>, Vec<u32>) {
    let active: Vec<u32> = (0..matrix.n_items() as u32)
        .filter(|&i| !matrix.item_column(i).0.is_empty())
        .collect();
    let mut position = vec![INACTIVE; matrix.n_items()];
    for (p, &i) in active.iter().enumerate() {
        position[i as usize] = p as u32;
    }
    (active, position)
}

/// The lower triangle of X^T X over the active items plus lambda on the
/// diagonal, column-major, one column per item in parallel (the upper
/// triangle stays zero: the inverse reads only the lower one). Each cell
/// sums its customers' products in customer order.
fn regularised_gram(
    matrix: &InteractionMatrix,
    active: &[u32],
    position: &[u32],
    lambda: f64,
) -> Vec<f64> {
    let m = active.len();
    let mut gram = vec![0.0; m * m];
    gram.par_chunks_mut(m.max(1))
        .zip(active)
        .for_each(|(column, &a)| {
            // The buffer is freshly mapped. Written first, a page is mapped
            // once; read first (by `+=`), it is mapped to the shared zero
            // page and then remapped on the write, with a TLB flush on
            // every core each time (2 of 7 s for 8,000 items). The upper
            // triangle is never touched, so its pages are never mapped.
            column[position[a as usize] as usize..].fill(0.0);
            let (customers, xs) = matrix.item_column(a);
            for (&customer, &x) in customers.iter().zip(xs) {
                let (items, ys) = matrix.customer_row(customer as u32);
                // Items are sorted, and so are their positions: those from
                // `a` on fall in the lower triangle.
                let from = items.partition_point(|&b| b < a as usize);
                for (&b, &y) in items[from..].iter().zip(&ys[from..]) {
                    column[position[b] as usize] += x * y;
                }
            }
            column[position[a as usize] as usize] += lambda;
        });
    gram
}

/// Largest bound on the condition number of X^T X + lambda I for which the
/// inverse runs in mixed precision ([`inverse::spd_inverse_mixed`]): the
/// error of its f32 steps then grows to at most about sqrt(1e4) = 100 times
/// f32's epsilon, under 1e-5 of P's norm.
const MIXED_PRECISION_CONDITION: f64 = 1e4;

/// An upper bound on the condition number of X^T X + lambda I: its smallest
/// eigenvalue is at least lambda, its largest at most its largest absolute
/// row sum, sum over the item's customers u of |x_ua| times u's row sum.
fn condition_bound(matrix: &InteractionMatrix, lambda: f64) -> f64 {
    let row_sums: Vec<f64> = (0..matrix.n_customers() as u32)
        .map(|u| matrix.customer_row(u).1.iter().map(|x| x.abs()).sum())
        .collect();
    let largest = (0..matrix.n_items() as u32)
        .map(|a| {
            let (customers, xs) = matrix.item_column(a);
            customers
                .iter()
                .zip(xs)
                .map(|(&u, x)| x.abs() * row_sums[u])
                .sum::<f64>()
        })
        .fold(0.0, f64::max);
    (largest + lambda) / lambda
}

/// B from the regularised Gram matrix (m x m, lower triangle), inverted in
/// mixed precision when `mixed`, on rayon's global pool (every core unless
/// RAYON_NUM_THREADS says otherwise).
fn solve(gram: Vec<f64>, m: usize, mixed: bool) -> Result<Vec<f32>, EngineError> {
    let par = Par::rayon(0);
    if mixed {
        inverse::spd_inverse_mixed(gram, m, par).map(|p| weights_in_place(p, m))
    } else {
        inverse::spd_inverse(gram, m, par).map(|p| weights(&p, m))
    }
    .map_err(|_| EngineError::Internal("X^T X + lambda I is not positive definite".into()))
}

/// B row-major in f32 from the whole symmetric P (column-major): row i is
/// column i of P, B[i][j] = -P[j][i] / P[j][j], with a zero diagonal.
fn weights(p: &[f64], m: usize) -> Vec<f32> {
    let diagonal = diagonal(p, m);
    let mut weights = vec![0.0f32; m * m];
    weights
        .par_chunks_mut(m.max(1))
        .zip(p.par_chunks(m.max(1)))
        .enumerate()
        .for_each(|(i, (row, column))| {
            for (j, ((b, x), d)) in row.iter_mut().zip(column).zip(&diagonal).enumerate() {
                *b = weight(i, j, *x, *d);
            }
        });
    weights
}

/// [`weights`] in the storage of an f32 P, which has B's layout.
fn weights_in_place(mut p: Vec<f32>, m: usize) -> Vec<f32> {
    let diagonal = diagonal(&p, m);
    p.par_chunks_mut(m.max(1)).enumerate().for_each(|(i, row)| {
        for (j, (b, d)) in row.iter_mut().zip(&diagonal).enumerate() {
            *b = weight(i, j, f64::from(*b), *d);
        }
    });
    p
}

/// The diagonal of the column-major m x m `p`.
fn diagonal<T: Copy + Into<f64>>(p: &[T], m: usize) -> Vec<f64> {
    (0..m).map(|j| p[j * m + j].into()).collect()
}

/// B[i][j] from P[j][i] and P[j][j].
fn weight(i: usize, j: usize, p_ji: f64, p_jj: f64) -> f32 {
    if i == j { 0.0 } else { (-p_ji / p_jj) as f32 }
}

/// Bytes a fit holds per cell of the item-by-item matrices at its peak, in
/// double precision: the Gram matrix (overwritten by its Cholesky factor,
/// then by the inverse) and the factor's inverse, both f64. A mixed
/// precision fit peaks lower, at the f64 factor and its f32 copy (12), and
/// turns its f32 inverse into the weights in place.
const BYTES_PER_CELL: u64 = 8 + 8;

/// The most bytes the item-by-item matrices of a fit over `items` active
/// items hold at once (the data and the model's history come on top).
pub fn fit_bytes(items: usize) -> u64 {
    let m = items as u64;
    m.saturating_mul(m).saturating_mul(BYTES_PER_CELL)
}

impl Recommender for Ease {
    type Model = EaseModel;

    fn name(&self) -> &'static str {
        "ease"
    }

    fn describe(&self) -> EngineDescription {
        let mut params = vec![
            ParamSpec::float(
                "lambda",
                500.0,
                1e-3,
                1e9,
                "L2 regularisation of the item weights",
            )
            .searched(Search::LogUniform {
                low: 1.0,
                high: 5000.0,
            }),
            ParamSpec::int(
                "max_items",
                10_000,
                1,
                100_000,
                "largest number of interacted items accepted (the fit needs at most \
                 16 bytes times its square: 1.6 GB for 10,000)",
            ),
        ];
        params.extend(MatrixOptions::param_specs());
        EngineDescription {
            name: self.name().into(),
            summary: "Embarrassingly shallow autoencoder: closed-form item-to-item weights, \
                      strong on small and medium catalogues"
                .into(),
            params,
            needs: vec![DataNeed::Interactions],
        }
    }

    /// [`fit_bytes`] of `max_items`.
    fn fit_memory(&self, params: &Params) -> Result<Option<u64>, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        Ok(Some(fit_bytes(values.usize("max_items")?)))
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<EaseModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let lambda = values.float("lambda")?;
        let limit = values.usize("max_items")?;
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        let (active, position) = active_items(&matrix);
        let m = active.len();
        if m > limit {
            return Err(EngineError::CatalogueTooLarge {
                engine: self.name().into(),
                items: m,
                limit,
                param: "max_items".into(),
                estimated_bytes: Some(fit_bytes(m)),
            });
        }
        let mixed = condition_bound(&matrix, lambda) <= MIXED_PRECISION_CONDITION;
        let weights = solve(
            regularised_gram(&matrix, &active, &position, lambda),
            m,
            mixed,
        )?;
        Ok(EaseModel {
            history: matrix.into_rows(),
            position,
            active,
            weights,
        })
    }

    fn recommend(
        &self,
        model: &EaseModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        let (items, weights) = model.history.history(customer)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut active_scores = vec![0.0f64; model.active.len()];
        for (&i, &w) in items.iter().zip(weights) {
            let p = model.position.get(i).copied().unwrap_or(INACTIVE);
            if p == INACTIVE {
                continue;
            }
            for (s, &b) in active_scores.iter_mut().zip(model.row(p as usize)) {
                *s += w * f64::from(b);
            }
        }
        let n_items = model.position.len();
        let mut scores = vec![0.0; n_items];
        for (&item, s) in model.active.iter().zip(active_scores) {
            if let Some(score) = scores.get_mut(item as usize) {
                *score = s;
            }
        }
        let top = top_k_dense(&scores, k, &Exclusion::new(n_items, exclude));
        Ok(explained(top, |candidates| {
            candidates
                .iter()
                .map(|&j| {
                    items
                        .iter()
                        .zip(weights)
                        .map(|(&i, &w)| (i as u32, w * model.weight(i, j as usize)))
                        .collect()
                })
                .collect()
        }))
    }

    /// The items to which `item` gives the largest positive weight.
    fn similar_items(
        &self,
        model: &EaseModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        let p = *model
            .position
            .get(item as usize)
            .ok_or(EngineError::UnknownItem(item))?;
        if p == INACTIVE {
            return Ok(Vec::new());
        }
        let pairs = model
            .row(p as usize)
            .iter()
            .zip(&model.active)
            .filter(|(b, _)| **b > 0.0)
            .map(|(&b, &j)| (j, f64::from(b)))
            .collect();
        Ok(similar_to(item, top_k_pairs(pairs, k)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::testing::{check_contract, tiny_dataset};

    #[test]
    fn contract() {
        check_contract(
            &Ease,
            &[("lambda", "0"), ("max_items", "0"), ("lambda", "big")],
        );
    }

    #[test]
    fn fit_memory_grows_with_the_square_of_max_items() {
        let of = |m: u64| {
            Ease.fit_memory(&Params::new().with("max_items", m))
                .unwrap()
                .unwrap()
        };
        assert_eq!(of(10_000), 1_600_000_000);
        assert_eq!(of(10_000), fit_bytes(10_000));
        assert_eq!(of(100_000), 100 * of(10_000));
        assert_eq!(Ease.fit_memory(&Params::new()).unwrap(), Some(of(10_000)));
        assert!(
            Ease.fit_memory(&Params::new().with("max_items", 0))
                .is_err()
        );
    }

    /// With A = G + lambda I (lambda = 1) and P = A^-1: A B = A - A P
    /// diag(P)^-1 = A - diag(P)^-1, so off the diagonal A B equals G. G on
    /// the binary tiny data (columns 0 {c0,c1}, 1 {c0,c1,c2}, 2 {c0}, 3 {c2}):
    fn assert_closed_form(weight: impl Fn(usize, usize) -> f64) {
        let g = [
            [2.0, 2.0, 1.0, 0.0],
            [2.0, 3.0, 1.0, 1.0],
            [1.0, 1.0, 1.0, 0.0],
            [0.0, 1.0, 0.0, 1.0],
        ];
        for (i, g_row) in g.iter().enumerate() {
            for (j, &g_ij) in g_row.iter().enumerate() {
                if i == j {
                    continue;
                }
                let lhs: f64 = g_row
                    .iter()
                    .enumerate()
                    .map(|(l, &g_il)| (g_il + if i == l { 1.0 } else { 0.0 }) * weight(l, j))
                    .sum();
                assert!((lhs - g_ij).abs() < 1e-5, "({i},{j}): {lhs} vs {g_ij}");
            }
        }
    }

    #[test]
    fn weights_solve_the_closed_form() {
        let data = tiny_dataset();
        let params = Params::new().with("lambda", 1).with("binary", true);
        let model = Ease.fit(&data, &params).unwrap();
        // Item 4 never occurs, so four items are active.
        assert_eq!(model.active, vec![0, 1, 2, 3]);
        assert_closed_form(|l, j| model.weight(l, j));
    }

    #[test]
    fn both_precisions_solve_the_closed_form() {
        let options = MatrixOptions {
            binary: true,
            ..MatrixOptions::default()
        };
        let matrix = InteractionMatrix::build(&tiny_dataset(), options).unwrap();
        let (active, position) = active_items(&matrix);
        assert_eq!(position, vec![0, 1, 2, 3, INACTIVE]);
        // Item 1's customers c0, c1, c2 hold 3, 2 and 2 items: (7 + 1) / 1.
        assert_eq!(condition_bound(&matrix, 1.0), 8.0);
        let gram = regularised_gram(&matrix, &active, &position, 1.0);
        let double = solve(gram.clone(), 4, false).unwrap();
        let mixed = solve(gram, 4, true).unwrap();
        for (d, s) in double.iter().zip(&mixed) {
            assert!((d - s).abs() < 1e-6, "{d} vs {s}");
        }
        assert_closed_form(|l, j| f64::from(double[l * 4 + j]));
        assert_closed_form(|l, j| f64::from(mixed[l * 4 + j]));
    }

    #[test]
    fn catalogue_limit_names_the_limit() {
        let err = Ease
            .fit(&tiny_dataset(), &Params::new().with("max_items", 3))
            .unwrap_err();
        assert!(matches!(
            err,
            EngineError::CatalogueTooLarge {
                items: 4,
                limit: 3,
                ..
            }
        ));
        assert!(err.to_string().contains("limit of 3 items"), "{err}");
        let estimate = EngineError::CatalogueTooLarge {
            engine: "ease".into(),
            items: 4,
            limit: 3,
            param: "max_items".into(),
            estimated_bytes: Some(fit_bytes(4)),
        };
        assert_eq!(err, estimate);
    }

    #[test]
    fn fit_bytes_is_the_peak_of_the_dense_matrices() {
        assert_eq!(fit_bytes(0), 0);
        assert_eq!(fit_bytes(8_000), 8_000 * 8_000 * 16);
        assert_eq!(fit_bytes(usize::MAX), u64::MAX);
    }

    #[test]
    fn cold_unknown_and_reasons() {
        let model = Ease
            .fit(&tiny_dataset(), &Params::new().with("lambda", 1))
            .unwrap();
        assert!(Ease.recommend(&model, 3, 5, &[]).unwrap().is_empty());
        assert_eq!(
            Ease.recommend(&model, 4, 5, &[]).unwrap_err(),
            EngineError::UnknownCustomer(4)
        );
        // Customer 1 holds items 0 and 1 with weight 1 each: a score is the
        // sum of their B weights, and reasons are its positive terms.
        let list = Ease.recommend(&model, 1, 2, &[0, 1]).unwrap();
        assert_eq!(list.len(), 2);
        for r in &list {
            let j = r.item as usize;
            let (b0, b1) = (model.weight(0, j), model.weight(1, j));
            assert!((r.score - (b0 + b1)).abs() < 1e-12);
            for reason in &r.reasons {
                let expected = if reason.item == 0 { b0 } else { b1 };
                assert!(reason.weight > 0.0 && (reason.weight - expected).abs() < 1e-12);
            }
        }
        assert!(Ease.similar_items(&model, 4, 3).unwrap().is_empty());
    }
}
