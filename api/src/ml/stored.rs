//! The bytes kept in `models.bytes`: the engine's own model plus the ids
//! behind its dense indices, so any replica can serve it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A stored model, as written by training and read by serving.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub enum StoredModel {
    /// A recommender with the customer and item id of each index.
    Recommender {
        customers: Vec<Uuid>,
        items: Vec<Uuid>,
        /// Distinct items of each customer's training history.
        history: Vec<Vec<u32>>,
        /// Interactions recorded from then on were not seen by the model.
        trained_on_data_until: DateTime<Utc>,
        engine_bytes: Vec<u8>,
    },
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

    #[test]
    fn round_trip() {
        let model = StoredModel::Recommender {
            customers: vec![Uuid::now_v7()],
            items: vec![Uuid::now_v7(), Uuid::now_v7()],
            history: vec![vec![1]],
            trained_on_data_until: Utc::now(),
            engine_bytes: vec![1, 2, 3],
        };
        let back = StoredModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
        assert_eq!(back, model);
        let scorer = StoredModel::Scorer {
            label: "churn=Yes".to_owned(),
            engine_bytes: vec![4, 5],
        };
        let back = StoredModel::from_bytes(&scorer.to_bytes().unwrap()).unwrap();
        assert_eq!(back, scorer);
        assert!(StoredModel::from_bytes(&[9, 9]).is_err());
    }
}
