//! The `item_item` engine: each item keeps its top-k most similar items
//! (cosine or adjusted cosine with shrinkage, from sparse products of the
//! customer x item matrix); a customer's score for an item is the sum, over
//! the items of their history, of weight x similarity wherever the candidate is
//! among the history item's neighbours ("push", the default), or wherever the
//! history item is among the candidate's neighbours ("pull").

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use rapport_core::DataNeed;
use rapport_core::matrix::{CustomerRows, InteractionMatrix, MatrixOptions};
use rapport_core::neighbours::{Neighbours, cosine_neighbours};
use rapport_core::ranking::{Exclusion, explained, similar_to};
use rapport_core::{
    Dataset, EngineDescription, EngineError, ParamSpec, Params, Recommendation, Recommender, Search,
};
use serde::{Deserialize, Serialize};
use sprs::CsMat;

/// The item-item engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemItem;

/// A fitted item-item model: neighbour lists and customer histories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemItemModel {
    history: CustomerRows,
    neighbours: Neighbours,
    /// In pull mode, the reverse lists: a candidate is scored from its own
    /// list, which is the same as each history item pushing along its reverse list.
    reverse: Option<Neighbours>,
}

impl ItemItemModel {
    /// The lists a history pushes along: the neighbour lists, or in pull
    /// mode their reverse.
    fn lists(&self) -> &Neighbours {
        self.reverse.as_ref().unwrap_or(&self.neighbours)
    }
}

/// Centres every customer's weights on their mean (adjusted cosine).
fn centred(csr: &CsMat<f64>) -> CsMat<f64> {
    let mut data = Vec::with_capacity(csr.nnz());
    for row in csr.outer_iterator() {
        let values = row.data();
        let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
        data.extend(values.iter().map(|v| v - mean));
    }
    CsMat::new(
        csr.shape(),
        csr.indptr().raw_storage().to_vec(),
        csr.indices().to_vec(),
        data,
    )
}

impl Recommender for ItemItem {
    type Model = ItemItemModel;

    fn name(&self) -> &'static str {
        "item_item"
    }

    fn describe(&self) -> EngineDescription {
        let mut params = vec![
            ParamSpec::int("neighbours", 50, 1, 10_000, "similar items kept per item").searched(
                Search::LogUniform {
                    low: 10.0,
                    high: 1000.0,
                },
            ),
            ParamSpec::float(
                "shrinkage",
                0.0,
                0.0,
                1e6,
                "added to the cosine denominator, damping similarities built on few customers",
            )
            // A count of co-occurrences: a scale, from no effect to strong damping.
            .searched(Search::LogUniform {
                low: 0.1,
                high: 100.0,
            }),
            ParamSpec::choice(
                "similarity",
                "cosine",
                &["cosine", "adjusted_cosine"],
                "cosine, or adjusted cosine (weights centred on each customer's mean; \
                 meaningless on purely binary data)",
            )
            .searched(Search::Choices),
            ParamSpec::choice(
                "mode",
                "push",
                &["push", "pull"],
                "push: each history item adds its own neighbours; pull: a candidate is \
                 scored from its own neighbour list",
            )
            .searched(Search::Choices),
        ];
        params.extend(MatrixOptions::param_specs());
        EngineDescription {
            name: self.name().into(),
            summary: "Customers who touched your items also touched these: top-k cosine \
                      item neighbours, scores summed over the customer's history"
                .into(),
            params,
            needs: vec![DataNeed::Interactions],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<ItemItemModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        let k = values.usize("neighbours")?;
        let shrink = values.float("shrinkage")?;
        let neighbours = if values.text("similarity")? == "adjusted_cosine" {
            let csr = centred(matrix.csr());
            cosine_neighbours(&csr.to_other_storage(), &csr, k, shrink)
        } else {
            cosine_neighbours(matrix.csc(), matrix.csr(), k, shrink)
        };
        Ok(ItemItemModel {
            history: matrix.into_rows(),
            reverse: (values.text("mode")? == "pull").then(|| neighbours.transpose()),
            neighbours,
        })
    }

    fn recommend(
        &self,
        model: &ItemItemModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        let top = self.rank(model, customer, k, exclude)?;
        let (items, weights) = model.history.history(customer)?;
        Ok(explained(top, |candidates| {
            model.lists().push_contributions(candidates, items, weights)
        }))
    }

    fn rank(
        &self,
        model: &ItemItemModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<(u32, f64)>, EngineError> {
        let (items, weights) = model.history.history(customer)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let excluded = Exclusion::new(model.neighbours.len(), exclude);
        Ok(model.lists().push_top_k(items, weights, k, &excluded))
    }

    fn similar_items(
        &self,
        model: &ItemItemModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        if item as usize >= model.neighbours.len() {
            return Err(EngineError::UnknownItem(item));
        }
        let (similar, sims) = model.neighbours.of(item as usize);
        let ranked = similar.iter().copied().zip(sims.iter().copied()).take(k);
        Ok(similar_to(item, ranked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::testing::{check_contract, tiny_dataset};

    #[test]
    fn contract() {
        check_contract(
            &ItemItem,
            &[
                ("neighbours", "0"),
                ("shrinkage", "-1"),
                ("similarity", "jaccard"),
                ("mode", "both"),
                ("half_life_days", "x"),
            ],
        );
    }

    #[test]
    fn scores_sum_neighbour_similarities_over_the_history() {
        let params = Params::new().with("binary", true);
        let model = ItemItem.fit(&tiny_dataset(), &params).unwrap();
        // Customer 1 holds items 0 and 1. Item 2: cos(0,2) = 1/sqrt 2 plus
        // cos(1,2) = 1/sqrt 3 = 1.2845; item 3: cos(1,3) = 1/sqrt 3 only
        // (item 0 and 3 share no customer); item 4: nobody, score 0.
        let list = ItemItem.recommend(&model, 1, 3, &[0, 1]).unwrap();
        let got: Vec<u32> = list.iter().map(|r| r.item).collect();
        assert_eq!(got, vec![2, 3, 4]);
        let expected = 1.0 / 2f64.sqrt() + 1.0 / 3f64.sqrt();
        assert!((list[0].score - expected).abs() < 1e-12);
        assert_eq!(list[0].reasons[0].item, 0);
        assert_eq!(list[0].reasons[1].item, 1);
        let explained: f64 = list[0].reasons.iter().map(|r| r.weight).sum();
        assert!((explained - expected).abs() < 1e-12);
        assert!(list[2].reasons.is_empty());
    }

    #[test]
    fn cold_and_unknown_customers() {
        let model = ItemItem.fit(&tiny_dataset(), &Params::new()).unwrap();
        assert!(ItemItem.recommend(&model, 3, 5, &[]).unwrap().is_empty());
        assert_eq!(
            ItemItem.recommend(&model, 4, 5, &[]).unwrap_err(),
            EngineError::UnknownCustomer(4)
        );
    }

    #[test]
    fn neighbour_limit_and_similar_items() {
        let model = ItemItem
            .fit(&tiny_dataset(), &Params::new().with("neighbours", 1))
            .unwrap();
        let similar = ItemItem.similar_items(&model, 0, 5).unwrap();
        assert_eq!(similar.len(), 1);
        // Weighted (customer 2 touched item 1 twice): cos(0,1) = 2/sqrt(2*6) = 0.577
        // loses to cos(0,2) = 1/sqrt 2; on the binary matrix item 1 wins.
        assert_eq!(similar[0].item, 2);
        let binary = ItemItem
            .fit(
                &tiny_dataset(),
                &Params::new().with("neighbours", 1).with("binary", true),
            )
            .unwrap();
        let similar = ItemItem.similar_items(&binary, 0, 5).unwrap();
        assert_eq!(similar[0].item, 1);
        assert_eq!(similar[0].reasons[0].item, 0);
    }

    #[test]
    fn adjusted_cosine_uses_centred_weights() {
        // Customer 0 rates items 0, 1, 2 with 5, 1, 3 (mean 3: +2, -2, 0);
        // customer 1 rates 0, 1 with 4, 2 (mean 3: +1, -1); customer 2 rates
        // 1, 3 with 1, 5 (mean 3: -2, +2); customer 3 rates 2, 3, 4 with
        // 5, 5, 2 (mean 4: +1, +1, -2).
        let mut data = tiny_dataset();
        let rated = [
            (0, 0, 5.0),
            (0, 1, 1.0),
            (0, 2, 3.0),
            (1, 0, 4.0),
            (1, 1, 2.0),
            (2, 1, 1.0),
            (2, 3, 5.0),
            (3, 2, 5.0),
            (3, 3, 5.0),
            (3, 4, 2.0),
        ];
        data.interactions = rated
            .iter()
            .enumerate()
            .map(|(t, &(customer, item, weight))| rapport_core::Interaction {
                customer,
                item,
                weight,
                timestamp: 1_000 + t as i64,
                basket: None,
            })
            .collect();
        let similarity = |model: &ItemItemModel, a: usize, b: u32| {
            let (items, sims) = model.neighbours.of(a);
            items.iter().position(|&i| i == b).map(|p| sims[p])
        };
        let plain = ItemItem.fit(&data, &Params::new()).unwrap();
        let adjusted = ItemItem
            .fit(&data, &Params::new().with("similarity", "adjusted_cosine"))
            .unwrap();
        // Plain cosine: items 0 and 1 are co-rated, (5*1 + 4*2) / sqrt(41 * 6).
        let expected = 13.0 / (41.0_f64 * 6.0).sqrt();
        assert!((similarity(&plain, 0, 1).unwrap() - expected).abs() < 1e-12);
        // Centred, they are anti-correlated, (2*-2 + 1*-1) < 0: not a neighbour.
        assert_eq!(similarity(&adjusted, 0, 1), None);
        // Items 2 and 3: plain (3*0 + 0*5 + 5*5) / sqrt(34 * 50); centred,
        // only customer 3 counts: (1*1) / sqrt(1 * 5).
        let plain_23 = 25.0 / (34.0_f64 * 50.0).sqrt();
        assert!((similarity(&plain, 2, 3).unwrap() - plain_23).abs() < 1e-12);
        let adjusted_23 = 1.0 / 5.0_f64.sqrt();
        assert!((similarity(&adjusted, 2, 3).unwrap() - adjusted_23).abs() < 1e-12);
    }

    #[test]
    fn pull_scores_a_candidate_from_its_own_list() {
        // Binary tiny data, one neighbour per item: 0 -> 1 (2/sqrt 6),
        // 1 -> 0, 2 -> 0 (1/sqrt 2), 3 -> 1 (its only co-occurring item), 4 -> none.
        let params = Params::new()
            .with("binary", true)
            .with("neighbours", 1)
            .with("mode", "pull");
        let model = ItemItem.fit(&tiny_dataset(), &params).unwrap();
        assert_eq!(model.neighbours.of(2).0, &[0]);
        assert_eq!(model.neighbours.of(3).0, &[1]);
        // Customer 1 holds items 0 and 1. Pull: item 2 scores cos(2,0) = 1/sqrt 2,
        // item 3 scores cos(3,1) = 1/sqrt 3. Push would give item 2 nothing
        // (neither 0 nor 1 keeps 2 as its single neighbour).
        let list = ItemItem.recommend(&model, 1, 2, &[0, 1]).unwrap();
        assert_eq!((list[0].item, list[1].item), (2, 3));
        assert!((list[0].score - 1.0 / 2f64.sqrt()).abs() < 1e-12);
        assert!((list[1].score - 1.0 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(list[0].reasons.len(), 1);
        assert_eq!(list[0].reasons[0].item, 0);
        assert!((list[0].reasons[0].weight - list[0].score).abs() < 1e-12);
        let push = ItemItem
            .fit(&tiny_dataset(), &params.clone().with("mode", "push"))
            .unwrap();
        let list = ItemItem.recommend(&push, 1, 2, &[0, 1]).unwrap();
        assert!(list.iter().all(|r| r.score == 0.0));
    }
}
