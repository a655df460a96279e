//! The `ease` engine (Steck, 2019): item-item weights in closed form,
//! B = I - P / diag(P) with P = (X^T X + lambda I)^-1 and a zero diagonal; a
//! customer's scores are their history row times B. The Gram matrix is dense
//! over the items that occur in the data, so the catalogue is capped.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod inverse;

use nalgebra::DMatrix;
use rapport_core::DataNeed;
use rapport_core::matrix::{CustomerRows, InteractionMatrix, MatrixOptions};
use rapport_core::ranking::{Exclusion, explained, similar_to, top_k_dense, top_k_pairs};
use rapport_core::{
    Dataset, EngineDescription, EngineError, ParamSpec, Params, Recommendation, Recommender, Search,
};
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

/// X^T X over the active items, plus lambda on the diagonal.
fn regularised_gram(
    matrix: &InteractionMatrix,
    position: &[u32],
    m: usize,
    lambda: f64,
) -> DMatrix<f64> {
    let mut gram = DMatrix::<f64>::zeros(m, m);
    for customer in 0..matrix.n_customers() as u32 {
        let (items, weights) = matrix.customer_row(customer);
        for (&a, &x) in items.iter().zip(weights) {
            let pa = position[a] as usize;
            for (&b, &y) in items.iter().zip(weights) {
                gram[(position[b] as usize, pa)] += x * y;
            }
        }
    }
    for d in 0..m {
        gram[(d, d)] += lambda;
    }
    gram
}

/// Bytes a fit holds per cell of the item-by-item matrices at its peak.
const BYTES_PER_CELL: u64 = 8 + 8 + 8 + 4;

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
                "largest number of interacted items accepted (the fit needs about \
                 28 bytes times its square: 2.8 GB for 10,000)",
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

    /// The Gram matrix and its inverse (f64), the inverse's working copy and
    /// the f32 weights: 28 bytes per cell of `max_items` x `max_items`.
    fn fit_memory(&self, params: &Params) -> Result<Option<u64>, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let m = values.usize("max_items")? as u64;
        Ok(Some(m.saturating_mul(m).saturating_mul(BYTES_PER_CELL)))
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<EaseModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let lambda = values.float("lambda")?;
        let limit = values.usize("max_items")?;
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        let active: Vec<u32> = (0..matrix.n_items() as u32)
            .filter(|&i| !matrix.item_column(i).0.is_empty())
            .collect();
        let m = active.len();
        if m > limit {
            return Err(EngineError::CatalogueTooLarge {
                engine: self.name().into(),
                items: m,
                limit,
                param: "max_items".into(),
            });
        }
        let mut position = vec![INACTIVE; matrix.n_items()];
        for (p, &i) in active.iter().enumerate() {
            position[i as usize] = p as u32;
        }
        let gram = regularised_gram(&matrix, &position, m, lambda);
        let p = inverse::spd_inverse(&gram).ok_or_else(|| {
            EngineError::Internal("X^T X + lambda I is not positive definite".into())
        })?;
        // P is symmetric, so column i of P is row i: B[i][j] = -P[i][j] / P[j][j].
        let diagonal: Vec<f64> = (0..m).map(|j| p[(j, j)]).collect();
        let mut weights = Vec::with_capacity(m * m);
        for i in 0..m {
            let column = p.column(i);
            for (j, d) in diagonal.iter().enumerate() {
                weights.push(if i == j { 0.0 } else { (-column[j] / d) as f32 });
            }
        }
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
        assert_eq!(of(10_000), 2_800_000_000);
        assert_eq!(of(100_000), 100 * of(10_000));
        assert_eq!(Ease.fit_memory(&Params::new()).unwrap(), Some(of(10_000)));
        assert!(
            Ease.fit_memory(&Params::new().with("max_items", 0))
                .is_err()
        );
    }

    #[test]
    fn weights_solve_the_closed_form() {
        let data = tiny_dataset();
        let params = Params::new().with("lambda", 1).with("binary", true);
        let model = Ease.fit(&data, &params).unwrap();
        // Item 4 never occurs, so four items are active.
        assert_eq!(model.active, vec![0, 1, 2, 3]);
        // With A = G + lambda I and P = A^-1: A B = A - A P diag(P)^-1 =
        // A - diag(P)^-1, so off the diagonal A B equals G. G on the binary
        // tiny data (columns 0 {c0,c1}, 1 {c0,c1,c2}, 2 {c0}, 3 {c2}):
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
                    .map(|(l, &g_il)| (g_il + if i == l { 1.0 } else { 0.0 }) * model.weight(l, j))
                    .sum();
                assert!((lhs - g_ij).abs() < 1e-5, "({i},{j}): {lhs} vs {g_ij}");
            }
        }
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
