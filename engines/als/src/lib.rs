//! The `als` engine: implicit-feedback matrix factorisation (Hu, Koren and
//! Volinsky 2008) fitted by alternating least squares with conjugate-
//! gradient row solves, as the `implicit` library's `AlternatingLeastSquares`
//! (0.7) does. An entry of weight `w` has confidence `alpha · w` and
//! preference 1, every unobserved entry confidence 1 and preference 0. The
//! paper writes an observed entry's confidence as `1 + a · r`; with
//! `implicit`'s convention, kept here so that its figures can be checked, a
//! binary matrix's `alpha` is the paper's `a` plus one. A customer's score
//! for an item is the dot product of their
//! `f32` factors.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod explain;
mod train;

use rapport_core::DataNeed;
use rapport_core::matrix::{CustomerRows, InteractionMatrix, MatrixOptions};
use rapport_core::ranking::{Exclusion, explained, similar_to, top_k_pairs, top_k_scored};
use rapport_core::{
    Dataset, EngineDescription, EngineError, ParamSpec, ParamValues, Params, Recommendation,
    Recommender, Search,
};
use serde::{Deserialize, Serialize};

use crate::train::{Factors, Row, Settings};

/// The ALS engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Als;

/// A fitted ALS model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlsModel {
    history: CustomerRows,
    alpha: f32,
    users: Factors,
    items: Factors,
    /// `YᵀY + λI` of the item factors, for explanations.
    gram: Vec<f64>,
    /// Euclidean norm of each item's factors, for cosine similarity.
    item_norms: Vec<f32>,
}

impl AlsModel {
    fn row<'a>(&self, items: &'a [usize], weights: &'a [f64]) -> Row<'a> {
        Row {
            indices: items,
            weights,
            alpha: self.alpha,
        }
    }
}

/// Worker threads when the `threads` parameter is 0: every core but one
/// (left to serving), at least one.
fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

fn settings(values: &ParamValues) -> Result<Settings, EngineError> {
    let seed = values.int("seed")?;
    Ok(Settings {
        factors: values.usize("factors")?,
        iterations: values.usize("iterations")?,
        regularisation: values.float("regularisation")?,
        alpha: values.float("alpha")?,
        cg_steps: values.usize("cg_steps")?,
        seed: u64::try_from(seed).map_err(|_| EngineError::invalid_param("seed", "negative"))?,
        threads: match values.usize("threads")? {
            0 => default_threads(),
            n => n,
        },
    })
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

impl Recommender for Als {
    type Model = AlsModel;

    fn name(&self) -> &'static str {
        "als"
    }

    fn describe(&self) -> EngineDescription {
        let mut params = vec![
            ParamSpec::int(
                "factors",
                64,
                1,
                1024,
                "latent factors per customer and item",
            )
            .searched(Search::LogUniform {
                low: 16.0,
                high: 128.0,
            }),
            ParamSpec::int(
                "iterations",
                15,
                1,
                200,
                "alternating iterations, each solving every customer then every item",
            ),
            ParamSpec::float(
                "regularisation",
                0.01,
                1e-6,
                1e4,
                "L2 penalty on every factor row (lambda, not scaled by the row's count)",
            )
            .searched(Search::LogUniform {
                low: 1e-3,
                high: 10.0,
            }),
            ParamSpec::float(
                "alpha",
                1.0,
                0.01,
                1000.0,
                "confidence of an interaction per unit of weight; unobserved pairs have \
                 confidence 1",
            )
            .searched(Search::LogUniform {
                low: 0.5,
                high: 50.0,
            }),
            ParamSpec::int(
                "cg_steps",
                3,
                1,
                64,
                "conjugate-gradient steps per row and half-step, warm-started from the \
                 previous factors",
            ),
            ParamSpec::int(
                "seed",
                42,
                0,
                i64::from(u32::MAX),
                "seed of the random initial factors",
            ),
            ParamSpec::int(
                "threads",
                0,
                0,
                256,
                "training threads; 0 uses every core but one (at least one)",
            ),
        ];
        params.extend(MatrixOptions::param_specs());
        EngineDescription {
            name: self.name().into(),
            summary: "Implicit-feedback matrix factorisation (ALS with conjugate gradient): \
                      latent tastes learnt from who touched what"
                .into(),
            params,
            needs: vec![DataNeed::Interactions],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<AlsModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let settings = settings(&values)?;
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        let (users, items) = train::fit(matrix.csr(), matrix.csc(), &settings);
        let gram = items.gram(settings.regularisation);
        let item_norms = (0..items.rows())
            .map(|j| dot(items.row(j), items.row(j)).sqrt() as f32)
            .collect();
        Ok(AlsModel {
            history: matrix.into_rows(),
            alpha: settings.alpha as f32,
            users,
            items,
            gram,
            item_norms,
        })
    }

    fn recommend(
        &self,
        model: &AlsModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        let (items, weights) = model.history.history(customer)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let x = model.users.row(customer as usize);
        let n_items = model.items.rows();
        // Scored one item at a time into a bounded top-k, with no score
        // vector over the catalogue.
        let score = |j: usize| dot(x, model.items.row(j));
        let nonzero = (0..n_items as u32)
            .map(|j| (j, score(j as usize)))
            .filter(|(_, s)| *s != 0.0);
        let top = top_k_scored(
            nonzero,
            score,
            n_items,
            k,
            &Exclusion::new(n_items, exclude),
        );
        let row = model.row(items, weights);
        Ok(explained(top, |candidates| {
            explain::contributions(&model.gram, &model.items, &row, candidates)
        }))
    }

    /// The items whose factors have the highest positive cosine with `item`'s.
    fn similar_items(
        &self,
        model: &AlsModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        let norm = *model
            .item_norms
            .get(item as usize)
            .ok_or(EngineError::UnknownItem(item))?;
        if norm == 0.0 {
            return Ok(Vec::new());
        }
        let y = model.items.row(item as usize);
        let pairs = model
            .item_norms
            .iter()
            .enumerate()
            .filter(|&(j, &n)| j != item as usize && n > 0.0)
            .map(|(j, &n)| {
                let cosine = dot(y, model.items.row(j)) / (f64::from(norm) * f64::from(n));
                (j as u32, cosine)
            })
            .filter(|(_, cosine)| *cosine > 0.0)
            .collect();
        Ok(similar_to(item, top_k_pairs(pairs, k)))
    }
}

#[cfg(test)]
mod tests;
