//! The bytes kept in `models.bytes`: the engine's own model plus the ids
//! behind its dense indices, so any replica can serve it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A stored model, as written by training and read by serving.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub enum StoredModel {
    /// A recommender with the customer and item id of each index.
    Recommender {
        customers: Vec<Uuid>,
        items: Vec<Uuid>,
        engine_bytes: Vec<u8>,
    },
    /// A scorer and the label it predicts.
    Scorer {
        label: String,
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
            engine_bytes: vec![1, 2, 3],
        };
        let back = StoredModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
        assert_eq!(back, model);
        assert!(StoredModel::from_bytes(&[9, 9]).is_err());
    }
}
