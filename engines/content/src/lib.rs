//! The `content` engine: items described by TF-IDF over their name,
//! description, tags and attributes plus a one-hot category; a customer's
//! profile is the weighted sum of the vectors of the items they touched, and
//! candidates are ranked by cosine to it. Works for items nobody touched yet.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod features;

use rapport_core::DataNeed;
use rapport_core::matrix::{
    CustomerRows, InteractionMatrix, MatrixOptions, SparseAccumulator, lane,
};
use rapport_core::ranking::{Exclusion, explained, similar_to, top_k_dense, top_k_pairs};
use rapport_core::{
    Dataset, EngineDescription, EngineError, ParamSpec, Params, Recommendation, Recommender, Search,
};
use serde::{Deserialize, Serialize};
use sprs::CsMat;

use crate::features::{FeatureOptions, item_vectors};

/// The content-based engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Content;

/// A fitted content model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentModel {
    history: CustomerRows,
    /// Items x features, unit rows.
    vectors: CsMat<f64>,
    /// The same, by feature.
    by_feature: CsMat<f64>,
}

impl ContentModel {
    fn n_items(&self) -> usize {
        self.vectors.rows()
    }

    /// Dot products of every item with a sparse vector of features.
    fn dots(&self, features: &[usize], values: &[f64]) -> Vec<f64> {
        let mut scores = vec![0.0; self.n_items()];
        for (&f, &p) in features.iter().zip(values) {
            let (items, weights) = lane(&self.by_feature, f);
            for (&j, &v) in items.iter().zip(weights) {
                if let Some(score) = scores.get_mut(j) {
                    *score += p * v;
                }
            }
        }
        scores
    }

    /// What each history item adds to each candidate's score: weight x
    /// cosine (rows are unit length). Each candidate's vector is scattered
    /// once into a dense row, so a history item costs one gather per term
    /// instead of a merge of two sparse rows: 30 candidates by 100 history
    /// items took most of a content request's time as merges.
    fn contributions(
        &self,
        candidates: &[u32],
        items: &[usize],
        weights: &[f64],
    ) -> Vec<Vec<(u32, f64)>> {
        let mut dense = vec![0.0; self.vectors.cols()];
        candidates
            .iter()
            .map(|&j| {
                let (terms, values) = lane(&self.vectors, j as usize);
                for (&f, &v) in terms.iter().zip(values) {
                    if let Some(d) = dense.get_mut(f) {
                        *d = v;
                    }
                }
                let pairs = items
                    .iter()
                    .zip(weights)
                    .map(|(&i, &w)| {
                        let (terms, values) = lane(&self.vectors, i);
                        let cosine: f64 = terms
                            .iter()
                            .zip(values)
                            .map(|(&f, &v)| v * dense.get(f).copied().unwrap_or(0.0))
                            .sum();
                        (i as u32, w * cosine)
                    })
                    .collect();
                for &f in terms {
                    if let Some(d) = dense.get_mut(f) {
                        *d = 0.0;
                    }
                }
                pairs
            })
            .collect()
    }
}

impl Recommender for Content {
    type Model = ContentModel;

    fn name(&self) -> &'static str {
        "content"
    }

    fn describe(&self) -> EngineDescription {
        let mut params = vec![
            ParamSpec::float(
                "category_weight",
                1.0,
                0.0,
                100.0,
                "weight of the one-hot category next to the text terms (0 ignores categories)",
            )
            .searched(Search::Uniform {
                low: 0.0,
                high: 4.0,
            }),
            ParamSpec::int(
                "min_df",
                1,
                1,
                1_000_000,
                "terms in fewer items than this are ignored",
            )
            .searched(Search::LogUniform {
                low: 1.0,
                high: 20.0,
            }),
        ];
        params.extend(MatrixOptions::param_specs());
        EngineDescription {
            name: self.name().into(),
            summary: "Items like the ones you touched: TF-IDF over name, description, tags \
                      and attributes plus category, cosine to the customer's profile"
                .into(),
            params,
            needs: vec![DataNeed::Interactions, DataNeed::ItemMetadata],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<ContentModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let options = FeatureOptions {
            category_weight: values.float("category_weight")?,
            min_df: values.usize("min_df")?,
        };
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        if data.n_items > 0 && data.items.is_empty() {
            return Err(EngineError::InvalidData(
                "the content engine needs item metadata (name, description, tags or category)"
                    .into(),
            ));
        }
        let vectors = item_vectors(&data.items, options);
        let by_feature = vectors.to_other_storage();
        Ok(ContentModel {
            history: matrix.into_rows(),
            vectors,
            by_feature,
        })
    }

    fn recommend(
        &self,
        model: &ContentModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        let (items, weights) = model.history.history(customer)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut profile = SparseAccumulator::new(model.vectors.cols());
        for (&i, &w) in items.iter().zip(weights) {
            let (features, values) = lane(&model.vectors, i);
            for (&f, &v) in features.iter().zip(values) {
                profile.add(f, w * v);
            }
        }
        let (mut features, mut values) = (Vec::new(), Vec::new());
        profile.drain(|f, v| {
            features.push(f);
            values.push(v);
        });
        let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mut scores = model.dots(&features, &values);
        if norm > 0.0 {
            scores.iter_mut().for_each(|s| *s /= norm);
        }
        let top = top_k_dense(&scores, k, &Exclusion::new(model.n_items(), exclude));
        Ok(explained(top, |candidates| {
            model.contributions(candidates, items, weights)
        }))
    }

    /// Items by cosine of their content vectors (positive similarities only).
    fn similar_items(
        &self,
        model: &ContentModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        if item as usize >= model.n_items() {
            return Err(EngineError::UnknownItem(item));
        }
        let (features, values) = lane(&model.vectors, item as usize);
        let pairs = model
            .dots(features, values)
            .into_iter()
            .enumerate()
            .filter(|&(j, s)| j != item as usize && s > 0.0)
            .map(|(j, s)| (j as u32, s))
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
            &Content,
            &[
                ("category_weight", "-1"),
                ("min_df", "0"),
                ("min_df", "1.5"),
            ],
        );
    }

    #[test]
    fn profile_favours_items_with_shared_words_and_category() {
        let model = Content.fit(&tiny_dataset(), &Params::new()).unwrap();
        // Customer 1 touched the two running shoes; the sock shares "sport",
        // the office items share nothing (score 0, still filling the list).
        let list = Content.recommend(&model, 1, 3, &[0, 1]).unwrap();
        let got: Vec<u32> = list.iter().map(|r| r.item).collect();
        assert_eq!(got, vec![2, 3, 4]);
        assert!(list[0].score > 0.0 && list[1].score == 0.0);
        assert!(list[1].reasons.is_empty());
        assert_eq!(list[0].reasons.len(), 2);
    }

    #[test]
    fn contributions_are_weighted_cosines() {
        let model = Content.fit(&tiny_dataset(), &Params::new()).unwrap();
        let row = |i: usize| -> std::collections::HashMap<usize, f64> {
            let (terms, values) = lane(&model.vectors, i);
            terms.iter().copied().zip(values.iter().copied()).collect()
        };
        let (items, weights) = (vec![0, 1, 3], vec![1.0, 2.0, 0.5]);
        let candidates = [2, 4, 0];
        let got = model.contributions(&candidates, &items, &weights);
        for (j, pairs) in candidates.iter().zip(&got) {
            let cj = row(*j as usize);
            for ((&i, &w), &(at, weight)) in items.iter().zip(&weights).zip(pairs) {
                let cosine: f64 = row(i)
                    .iter()
                    .map(|(f, v)| v * cj.get(f).unwrap_or(&0.0))
                    .sum();
                assert_eq!(at, i as u32);
                assert!((weight - w * cosine).abs() < 1e-12, "{j} {i}");
            }
        }
        // An item is its own best match: unit rows have cosine 1 with themselves.
        assert!((got[2][0].1 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn similar_items_work_for_untouched_items() {
        let model = Content.fit(&tiny_dataset(), &Params::new()).unwrap();
        // Item 4 (desk lamp) was never touched; its content twin is the office chair.
        let similar = Content.similar_items(&model, 4, 5).unwrap();
        assert_eq!(similar[0].item, 3);
        assert_eq!(similar.len(), 1);
        let shoes = Content.similar_items(&model, 0, 1).unwrap();
        assert_eq!(shoes[0].item, 1);
    }

    #[test]
    fn missing_metadata_is_a_caller_error() {
        let mut data = tiny_dataset();
        data.items.clear();
        let err = Content.fit(&data, &Params::new()).unwrap_err();
        assert!(err.is_caller_error(), "{err}");
        let model = Content.fit(&tiny_dataset(), &Params::new()).unwrap();
        assert!(Content.recommend(&model, 3, 5, &[]).unwrap().is_empty());
        assert_eq!(
            Content.recommend(&model, 4, 5, &[]).unwrap_err(),
            EngineError::UnknownCustomer(4)
        );
    }
}
