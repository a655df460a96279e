//! The bytes kept in `models.bytes`: the engine's own model plus the ids
//! behind its dense indices, so any replica can serve it.

use chrono::{DateTime, Utc};
use rapport_assess::{Calibrator, TierThresholds};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A recommender's model with the customer and item id of each index.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredRecommender {
    pub customers: Vec<Uuid>,
    pub items: Vec<Uuid>,
    /// Distinct items of each customer's training history.
    pub history: Vec<Vec<u32>>,
    /// Interactions recorded from then on were not seen by the model.
    pub trained_on_data_until: DateTime<Utc>,
    pub engine_bytes: Vec<u8>,
}

/// A stored model, as written by training and read by serving.
///
/// Postcard names variants by position and fields by order: new variants go
/// at the end, and existing ones never change, so that every model stored
/// before still loads.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub enum StoredModel {
    /// A recommender stored before models carried a fallback.
    Recommender(StoredRecommender),
    /// A scorer and the label it predicts.
    Scorer {
        label: String,
        engine_bytes: Vec<u8>,
    },
    /// A segmentation and the segment of every customer it was fitted on.
    Segmenter {
        assignments: Vec<(Uuid, u32)>,
        engine_bytes: Vec<u8>,
    },
    /// A recommender with the `popularity` model of its own training data
    /// (same indices), which serves the customers it does not know.
    RecommenderWithFallback {
        recommender: StoredRecommender,
        popularity_bytes: Vec<u8>,
    },
    /// A scorer, the label it predicts, the calibration of its probabilities
    /// and the quartiles of its own training scores (the tiers).
    CalibratedScorer {
        label: String,
        engine_bytes: Vec<u8>,
        calibrator: Calibrator,
        tiers: TierThresholds,
    },
}

impl StoredModel {
    /// Compact binary form (postcard).
    pub fn to_bytes(&self) -> Result<Vec<u8>, anyhow::Error> {
        Ok(postcard::to_allocvec(self)?)
    }

    /// Reads bytes written by [`StoredModel::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, anyhow::Error> {
        Ok(postcard::from_bytes(bytes)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recommender() -> StoredRecommender {
        StoredRecommender {
            customers: vec![Uuid::now_v7()],
            items: vec![Uuid::now_v7(), Uuid::now_v7()],
            history: vec![vec![1]],
            trained_on_data_until: Utc::now(),
            engine_bytes: vec![1, 2, 3],
        }
    }

    #[test]
    fn round_trip() {
        for model in [
            StoredModel::Recommender(recommender()),
            StoredModel::Scorer {
                label: "churn=Yes".to_owned(),
                engine_bytes: vec![4, 5],
            },
            StoredModel::RecommenderWithFallback {
                recommender: recommender(),
                popularity_bytes: vec![6],
            },
            StoredModel::CalibratedScorer {
                label: "churn=Yes".to_owned(),
                engine_bytes: vec![7],
                calibrator: Calibrator::Isotonic {
                    xs: vec![0.1, 0.9],
                    ys: vec![0.2, 0.7],
                },
                tiers: TierThresholds {
                    q25: 0.1,
                    q50: 0.2,
                    q75: 0.4,
                },
            },
        ] {
            let back = StoredModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
            assert_eq!(back, model);
        }
        assert!(StoredModel::from_bytes(&[9, 9]).is_err());
    }

    /// The layout models were stored in before the fallback, kept here to
    /// prove they still load.
    #[derive(Serialize)]
    enum Legacy {
        Recommender {
            customers: Vec<Uuid>,
            items: Vec<Uuid>,
            history: Vec<Vec<u32>>,
            trained_on_data_until: DateTime<Utc>,
            engine_bytes: Vec<u8>,
        },
    }

    #[test]
    fn recommenders_stored_before_the_fallback_still_load() {
        let old = recommender();
        let bytes = postcard::to_allocvec(&Legacy::Recommender {
            customers: old.customers.clone(),
            items: old.items.clone(),
            history: old.history.clone(),
            trained_on_data_until: old.trained_on_data_until,
            engine_bytes: old.engine_bytes.clone(),
        })
        .unwrap();
        assert_eq!(
            StoredModel::from_bytes(&bytes).unwrap(),
            StoredModel::Recommender(old)
        );
    }
}
