//! The `Recommender` trait every recommendation engine implements, and its
//! object-safe form used by registries.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::engine::{self, EngineDescription, FittedModel};
use crate::error::EngineError;
use crate::params::Params;

/// Why an item was recommended: one contributing item (from the customer's
/// history, or a neighbour's) and how much it contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The contributing item's index.
    pub item: u32,
    /// Its contribution to the score.
    pub weight: f64,
}

/// One recommended (or similar) item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Item index.
    pub item: u32,
    /// Score; higher is better. Only comparable within one engine.
    pub score: f64,
    /// The strongest contributions, largest first.
    pub reasons: Vec<Reason>,
}

/// A recommendation engine.
///
/// `recommend` never filters a customer's history by itself: pass the items to
/// leave out in `exclude`. A customer with no history gets an empty list except
/// from engines (popularity) that need none.
pub trait Recommender: Send + Sync {
    /// The fitted state.
    type Model: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The registry name.
    fn name(&self) -> &'static str;

    /// Name, summary, parameters and data needs.
    fn describe(&self) -> EngineDescription;

    /// Fits a model; parameters are validated against `describe().params`.
    fn fit(&self, data: &Dataset, params: &Params) -> Result<Self::Model, EngineError>;

    /// The `k` best items for `customer`, leaving out `exclude`.
    fn recommend(
        &self,
        model: &Self::Model,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError>;

    /// The items of [`Recommender::recommend`]'s list and their scores, in
    /// the same order, without the reasons, which the offline evaluation
    /// does not read. An engine whose reasons take a pass of their own
    /// (item_item's second walk over the neighbour lists) skips it here.
    fn rank(
        &self,
        model: &Self::Model,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<(u32, f64)>, EngineError> {
        let list = self.recommend(model, customer, k, exclude)?;
        Ok(list.into_iter().map(|r| (r.item, r.score)).collect())
    }

    /// The `k` items most similar to `item` (never `item` itself).
    fn similar_items(
        &self,
        model: &Self::Model,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError>;

    /// Whether [`Recommender::similar_items`] measures similarity between
    /// items (false for an engine whose "similar" list is the same for
    /// every item, such as popularity's).
    fn knows_item_similarity(&self) -> bool {
        true
    }

    /// The most memory, in bytes, a fit with `params` may need whatever the
    /// data, when the parameters alone bound it (EASE's dense item-by-item
    /// matrices grow with the square of `max_items`); `None` when the data
    /// decides. The service refuses parameters whose bound exceeds its
    /// training budget before a job is queued.
    fn fit_memory(&self, _params: &Params) -> Result<Option<u64>, EngineError> {
        Ok(None)
    }

    /// Encodes a model as compact bytes (postcard) behind the engine's name.
    fn to_bytes(&self, model: &Self::Model) -> Result<Vec<u8>, EngineError> {
        engine::encode(self.name(), model).map_err(EngineError::Serialization)
    }

    /// Decodes bytes made by [`Recommender::to_bytes`] of the same engine.
    // `&self` names the engine whose model the bytes must hold.
    #[allow(clippy::wrong_self_convention)]
    fn from_bytes(&self, bytes: &[u8]) -> Result<Self::Model, EngineError> {
        engine::decode(self.name(), bytes).map_err(EngineError::Serialization)
    }
}

/// The object-safe form of [`Recommender`], implemented for every engine, so
/// engines can be chosen by name at run time.
pub trait DynRecommender: Send + Sync {
    /// See [`Recommender::name`].
    fn name(&self) -> &'static str;
    /// See [`Recommender::describe`].
    fn describe(&self) -> EngineDescription;
    /// See [`Recommender::fit`].
    fn fit(&self, data: &Dataset, params: &Params) -> Result<FittedModel, EngineError>;
    /// See [`Recommender::fit_memory`].
    fn fit_memory(&self, params: &Params) -> Result<Option<u64>, EngineError>;
    /// See [`Recommender::knows_item_similarity`].
    fn knows_item_similarity(&self) -> bool;
    /// See [`Recommender::recommend`].
    fn recommend(
        &self,
        model: &FittedModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError>;
    /// See [`Recommender::rank`].
    fn rank(
        &self,
        model: &FittedModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<(u32, f64)>, EngineError>;
    /// See [`Recommender::similar_items`].
    fn similar_items(
        &self,
        model: &FittedModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError>;
    /// See [`Recommender::to_bytes`].
    fn to_bytes(&self, model: &FittedModel) -> Result<Vec<u8>, EngineError>;
    /// See [`Recommender::from_bytes`].
    #[allow(clippy::wrong_self_convention)]
    fn from_bytes(&self, bytes: &[u8]) -> Result<FittedModel, EngineError>;
}

fn downcast<'m, R: Recommender>(
    engine: &R,
    model: &'m FittedModel,
) -> Result<&'m R::Model, EngineError> {
    model
        .downcast(Recommender::name(engine))
        .map_err(EngineError::Internal)
}

impl<R: Recommender> DynRecommender for R {
    fn name(&self) -> &'static str {
        Recommender::name(self)
    }

    fn describe(&self) -> EngineDescription {
        Recommender::describe(self)
    }

    fn fit(&self, data: &Dataset, params: &Params) -> Result<FittedModel, EngineError> {
        let model = Recommender::fit(self, data, params)?;
        Ok(FittedModel::new(self.name(), model))
    }

    fn fit_memory(&self, params: &Params) -> Result<Option<u64>, EngineError> {
        Recommender::fit_memory(self, params)
    }

    fn knows_item_similarity(&self) -> bool {
        Recommender::knows_item_similarity(self)
    }

    fn recommend(
        &self,
        model: &FittedModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<Recommendation>, EngineError> {
        Recommender::recommend(self, downcast(self, model)?, customer, k, exclude)
    }

    fn rank(
        &self,
        model: &FittedModel,
        customer: u32,
        k: usize,
        exclude: &[u32],
    ) -> Result<Vec<(u32, f64)>, EngineError> {
        Recommender::rank(self, downcast(self, model)?, customer, k, exclude)
    }

    fn similar_items(
        &self,
        model: &FittedModel,
        item: u32,
        k: usize,
    ) -> Result<Vec<Recommendation>, EngineError> {
        Recommender::similar_items(self, downcast(self, model)?, item, k)
    }

    fn to_bytes(&self, model: &FittedModel) -> Result<Vec<u8>, EngineError> {
        Recommender::to_bytes(self, downcast(self, model)?)
    }

    fn from_bytes(&self, bytes: &[u8]) -> Result<FittedModel, EngineError> {
        let model = Recommender::from_bytes(self, bytes)?;
        Ok(FittedModel::new(self.name(), model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ByIndex;

    #[test]
    fn dyn_round_trip_and_engine_mismatch() {
        let a: &dyn DynRecommender = &ByIndex("a");
        let b: &dyn DynRecommender = &ByIndex("b");
        let data = Dataset {
            n_items: 3,
            ..Default::default()
        };
        let model = a.fit(&data, &Params::new()).unwrap();
        assert_eq!(model.engine(), "a");
        let recs = a.recommend(&model, 0, 2, &[0]).unwrap();
        assert_eq!(recs.iter().map(|r| r.item).collect::<Vec<_>>(), vec![1, 2]);
        let bytes = a.to_bytes(&model).unwrap();
        let back = a.from_bytes(&bytes).unwrap();
        assert_eq!(a.recommend(&back, 0, 3, &[]).unwrap().len(), 3);
        assert!(matches!(
            b.from_bytes(&bytes),
            Err(EngineError::Serialization(_))
        ));
        assert!(a.from_bytes(&[1, 2, 3]).is_err());
        assert!(matches!(
            a.similar_items(&model, 7, 1),
            Err(EngineError::UnknownItem(7))
        ));
        assert!(a.fit(&data, &Params::new().with("x", 1)).is_err());
    }
}
