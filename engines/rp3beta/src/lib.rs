//! The `rp3beta` engine (Paudel et al. 2017, as in the reference
//! implementation of Dacrema et al., RecSys 2019): a random walk item ->
//! customer -> item on the bipartite interaction graph with a popularity
//! penalty. With `P_ui` the customer rows normalised to sum 1 and `P_iu` the
//! item rows of the binary matrix normalised to sum 1, each raised to the
//! power `alpha` entry by entry, `W = P_iu · P_ui` with column `j` divided by
//! `popularity_j ^ beta` (the number of customers of `j`) and a zero
//! diagonal; each item keeps its `neighbours` largest entries, optionally
//! rescaled to sum 1. A customer's score for `j` is `Σ_i w_ui W_ij` over
//! their history, and each term is the weight of the walks from history item
//! `i` to `j`: the reasons. Only positive interactions are edges of the graph.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use rapport_core::DataNeed;
use rapport_core::matrix::{CustomerRows, InteractionMatrix, MatrixOptions, lane};
use rapport_core::neighbours::{Neighbours, neighbour_lists};
use rapport_core::ranking::{Exclusion, explained, similar_to, top_k_pairs};
use rapport_core::{
    Dataset, EngineDescription, EngineError, ParamSpec, Params, Recommendation, Recommender, Search,
};
use serde::{Deserialize, Serialize};
use sprs::CsMat;

/// The RP3beta engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rp3Beta;

/// A fitted RP3beta model: each item's strongest walk targets, and the
/// customers' histories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rp3BetaModel {
    history: CustomerRows,
    walks: Neighbours,
}

/// The walk's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Walk {
    alpha: f64,
    beta: f64,
    neighbours: usize,
    normalise: bool,
}

/// `x ^ alpha` for a positive transition probability, 0 otherwise.
fn power(x: f64, alpha: f64) -> f64 {
    if x > 0.0 { x.powf(alpha) } else { 0.0 }
}

/// The customer -> item step `P_ui ^ alpha`: each customer's positive
/// weights divided by their sum, in the layout of `csr`.
fn customer_step(csr: &CsMat<f64>, alpha: f64) -> CsMat<f64> {
    let mut data = Vec::with_capacity(csr.nnz());
    for row in csr.outer_iterator() {
        let total: f64 = row.data().iter().filter(|w| **w > 0.0).sum();
        data.extend(row.data().iter().map(|&w| power(w / total, alpha)));
    }
    CsMat::new(
        csr.shape(),
        csr.indptr().raw_storage().to_vec(),
        csr.indices().to_vec(),
        data,
    )
}

/// Every item's walk targets: the `W` rows described in the crate documentation.
fn walks(matrix: &InteractionMatrix, walk: Walk) -> Neighbours {
    let n_items = matrix.n_items();
    let degree: Vec<usize> = (0..n_items as u32)
        .map(|i| matrix.item_column(i).1.iter().filter(|w| **w > 0.0).count())
        .collect();
    let penalty: Vec<f64> = degree
        .iter()
        .map(|&d| {
            if d > 0 {
                (d as f64).powf(-walk.beta)
            } else {
                0.0
            }
        })
        .collect();
    let to_items = customer_step(matrix.csr(), walk.alpha);
    neighbour_lists(n_items, n_items, |i, acc| {
        let Some(&d) = degree.get(i) else {
            return Vec::new();
        };
        let to_customer = power(1.0 / d as f64, walk.alpha);
        let (customers, weights) = matrix.item_column(i as u32);
        for (&u, _) in customers.iter().zip(weights).filter(|(_, w)| **w > 0.0) {
            let (items, steps) = lane(&to_items, u);
            for (&j, &step) in items.iter().zip(steps) {
                if step > 0.0 {
                    acc.add(j, to_customer * step);
                }
            }
        }
        let mut candidates = Vec::new();
        acc.drain(|j, v| {
            let w = v * penalty.get(j).copied().unwrap_or(0.0);
            if j != i && w > 0.0 {
                candidates.push((j as u32, w));
            }
        });
        let mut kept = top_k_pairs(candidates, walk.neighbours);
        let total: f64 = kept.iter().map(|(_, w)| w).sum();
        if walk.normalise && total > 0.0 {
            kept.iter_mut().for_each(|(_, w)| *w /= total);
        }
        kept
    })
}

impl Recommender for Rp3Beta {
    type Model = Rp3BetaModel;

    fn name(&self) -> &'static str {
        "rp3beta"
    }

    fn describe(&self) -> EngineDescription {
        let mut params = vec![
            ParamSpec::float(
                "alpha",
                1.0,
                0.0,
                3.0,
                "exponent of the walk's transition probabilities (1 is the plain walk)",
            )
            .searched(Search::Uniform {
                low: 0.2,
                high: 1.5,
            }),
            ParamSpec::float(
                "beta",
                0.6,
                0.0,
                2.0,
                "popularity penalty: a target item's walk weight is divided by its \
                 customer count to this power",
            )
            .searched(Search::Uniform {
                low: 0.0,
                high: 1.0,
            }),
            ParamSpec::int("neighbours", 100, 1, 10_000, "walk targets kept per item").searched(
                Search::LogUniform {
                    low: 20.0,
                    high: 1000.0,
                },
            ),
            ParamSpec::bool(
                "normalise",
                true,
                "rescale each item's kept targets to sum 1",
            )
            .searched(Search::Choices),
        ];
        params.extend(MatrixOptions::param_specs());
        EngineDescription {
            name: self.name().into(),
            summary: "Three-step random walk item -> customer -> item with a popularity \
                      penalty (RP3beta): strong on long-tail catalogues"
                .into(),
            params,
            needs: vec![DataNeed::Interactions],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<Rp3BetaModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let walk = Walk {
            alpha: values.float("alpha")?,
            beta: values.float("beta")?,
            neighbours: values.usize("neighbours")?,
            normalise: values.bool("normalise")?,
        };
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        let walks = walks(&matrix, walk);
        Ok(Rp3BetaModel {
            history: matrix.into_rows(),
            walks,
        })
    }

    fn recommend(
        &self,
        model: &Rp3BetaModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        let (items, weights) = model.history.history(customer)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let excluded = Exclusion::new(model.walks.len(), exclude);
        let top = model.walks.push_top_k(items, weights, k, &excluded);
        Ok(explained(top, |candidates| {
            model.walks.push_contributions(candidates, items, weights)
        }))
    }

    /// The items the walk from `item` reaches with the most weight.
    fn similar_items(
        &self,
        model: &Rp3BetaModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        if item as usize >= model.walks.len() {
            return Err(EngineError::UnknownItem(item));
        }
        let (targets, weights) = model.walks.of(item as usize);
        let ranked = targets.iter().copied().zip(weights.iter().copied()).take(k);
        Ok(similar_to(item, ranked))
    }
}

#[cfg(test)]
mod tests;
