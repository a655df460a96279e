//! The `user_user` engine: each customer's top-k most similar customers
//! (cosine over their interaction rows, from sparse products); a candidate's
//! score is the sum over those neighbours of similarity x the neighbour's
//! weight on the candidate.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use rapport_core::DataNeed;
use rapport_core::matrix::{InteractionMatrix, MatrixOptions, with_scratch};
use rapport_core::neighbours::{Neighbours, cosine_neighbours, cosine_neighbours_of};
use rapport_core::ranking::{CandidateSlots, Exclusion, explained, similar_to, top_k_scored};
use rapport_core::{
    Dataset, EngineDescription, EngineError, ParamSpec, Params, Recommendation, Recommender, Search,
};
use serde::{Deserialize, Serialize};

/// The user-user engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserUser;

/// A fitted user-user model: the interaction matrix and customer neighbour lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserUserModel {
    matrix: InteractionMatrix,
    neighbours: Neighbours,
    /// Shrinkage, reused for item similarities in `similar_items`.
    shrinkage: f64,
}

impl UserUserModel {
    /// What the history items of `customer` (`items`) add to each of
    /// `candidates`: each neighbour who touched a candidate credits the
    /// history items it shares with the customer (`shared[n]` holds positions
    /// in `items` for neighbour `n`) with its contribution. One pass over the
    /// neighbours' rows serves every candidate.
    fn contributions(
        &self,
        customer: u32,
        items: &[usize],
        shared: &[Vec<usize>],
        candidates: &[u32],
    ) -> Vec<Vec<(u32, f64)>> {
        let slots = CandidateSlots::new(candidates, self.matrix.n_items());
        let mut totals = vec![vec![0.0; items.len()]; candidates.len()];
        let (neighbours, sims) = self.neighbours.of(customer as usize);
        for ((&v, &s), common) in neighbours.iter().zip(sims).zip(shared) {
            let (theirs, weights) = self.matrix.customer_row(v);
            for (&j, &w) in theirs.iter().zip(weights) {
                let Some(row) = slots.get(j as u32).and_then(|p| totals.get_mut(p)) else {
                    continue;
                };
                let contribution = s * w;
                for &p in common {
                    if let Some(t) = row.get_mut(p) {
                        *t += contribution;
                    }
                }
            }
        }
        totals
            .into_iter()
            .map(|row| items.iter().zip(row).map(|(&i, w)| (i as u32, w)).collect())
            .collect()
    }
}

impl Recommender for UserUser {
    type Model = UserUserModel;

    fn name(&self) -> &'static str {
        "user_user"
    }

    fn describe(&self) -> EngineDescription {
        let mut params = vec![
            ParamSpec::int(
                "neighbours",
                50,
                1,
                10_000,
                "similar customers kept per customer",
            )
            .searched(Search::LogUniform {
                low: 10.0,
                high: 1000.0,
            }),
            ParamSpec::float(
                "shrinkage",
                0.0,
                0.0,
                1e6,
                "added to the cosine denominator, damping similarities built on few items",
            )
            // A count of co-occurrences: a scale, from no effect to strong damping.
            .searched(Search::LogUniform {
                low: 0.1,
                high: 100.0,
            }),
        ];
        params.extend(MatrixOptions::param_specs());
        EngineDescription {
            name: self.name().into(),
            summary: "Customers like you also chose these: top-k cosine customer neighbours, \
                      their items weighted by similarity"
                .into(),
            params,
            needs: vec![DataNeed::Interactions],
        }
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<UserUserModel, EngineError> {
        let values = params.resolve(&self.describe().params)?;
        let matrix = InteractionMatrix::build(data, MatrixOptions::from_params(&values)?)?;
        let shrinkage = values.float("shrinkage")?;
        let neighbours = cosine_neighbours(
            matrix.csr(),
            matrix.csc(),
            values.usize("neighbours")?,
            shrinkage,
        );
        Ok(UserUserModel {
            matrix,
            neighbours,
            shrinkage,
        })
    }

    fn recommend(
        &self,
        model: &UserUserModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        if customer as usize >= model.matrix.n_customers() {
            return Err(EngineError::UnknownCustomer(customer));
        }
        let (items, _) = model.matrix.customer_row(customer);
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let n_items = model.matrix.n_items();
        let (neighbours, sims) = model.neighbours.of(customer as usize);
        let top = with_scratch(n_items, |acc| {
            for (&v, &s) in neighbours.iter().zip(sims) {
                let (theirs, weights) = model.matrix.customer_row(v);
                for (&j, &w) in theirs.iter().zip(weights) {
                    acc.add(j, s * w);
                }
            }
            let nonzero = acc
                .touched()
                .filter(|(_, s)| *s != 0.0)
                .map(|(j, s)| (j as u32, s));
            let excluded = Exclusion::new(n_items, exclude);
            top_k_scored(nonzero, |j| acc.value(j), n_items, k, &excluded)
        });
        let history: Vec<u32> = items.iter().map(|&i| i as u32).collect();
        let in_history = CandidateSlots::new(&history, n_items);
        let shared: Vec<Vec<usize>> = neighbours
            .iter()
            .map(|&v| {
                let (theirs, _) = model.matrix.customer_row(v);
                theirs
                    .iter()
                    .filter_map(|&i| in_history.get(i as u32))
                    .collect()
            })
            .collect();
        Ok(explained(top, |candidates| {
            model.contributions(customer, items, &shared, candidates)
        }))
    }

    /// Items by cosine over the customers who touched them, computed on demand.
    fn similar_items(
        &self,
        model: &UserUserModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        if item as usize >= model.matrix.n_items() {
            return Err(EngineError::UnknownItem(item));
        }
        let m = &model.matrix;
        let ranked = cosine_neighbours_of(item as usize, m.csc(), m.csr(), k, model.shrinkage);
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
            &UserUser,
            &[("neighbours", "-3"), ("shrinkage", "nan"), ("binary", "2")],
        );
    }

    #[test]
    fn neighbours_items_weighted_by_similarity() {
        let model = UserUser
            .fit(&tiny_dataset(), &Params::new().with("binary", true))
            .unwrap();
        // Customer 1 {0, 1}: neighbours c0 {0,1,2} with 2/sqrt 6 = 0.8165 and
        // c2 {1,3} with 1/2. Item 2 scores 0.8165, item 3 scores 0.5, item 4 0.
        let list = UserUser.recommend(&model, 1, 3, &[0, 1]).unwrap();
        let got: Vec<u32> = list.iter().map(|r| r.item).collect();
        assert_eq!(got, vec![2, 3, 4]);
        assert!((list[0].score - 2.0 / 6f64.sqrt()).abs() < 1e-12);
        assert!((list[1].score - 0.5).abs() < 1e-12);
        // c0 shares items 0 and 1 with customer 1, c2 only item 1.
        let reasons: Vec<u32> = list[0].reasons.iter().map(|r| r.item).collect();
        assert_eq!(reasons, vec![0, 1]);
        // Each shared item carries c0's whole contribution, 2/sqrt 6 x 1.
        assert!((list[0].reasons[0].weight - 2.0 / 6f64.sqrt()).abs() < 1e-12);
        assert_eq!(list[1].reasons[0].item, 1);
        assert!((list[1].reasons[0].weight - 0.5).abs() < 1e-12);
    }

    #[test]
    fn cold_unknown_and_similar_items() {
        let model = UserUser.fit(&tiny_dataset(), &Params::new()).unwrap();
        assert!(UserUser.recommend(&model, 3, 5, &[]).unwrap().is_empty());
        assert_eq!(
            UserUser.recommend(&model, 7, 5, &[]).unwrap_err(),
            EngineError::UnknownCustomer(7)
        );
        let similar = UserUser.similar_items(&model, 3, 5).unwrap();
        assert_eq!(similar[0].item, 1);
        assert!(UserUser.similar_items(&model, 4, 5).unwrap().is_empty());
    }
}
