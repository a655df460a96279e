//! Shared building blocks of Rapport's prediction engines: data types, the
//! sparse interaction matrix, the `Recommender` and `Scorer` traits, the
//! scorers' customer tables and features, and offline evaluation.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod data;
pub mod dates;
pub mod diversity;
pub mod engine;
pub mod error;
pub mod eval;
pub mod ids;
pub mod matrix;
pub mod neighbours;
pub mod params;
pub mod ranking;
pub mod recommender;
pub mod scorer;
pub mod scoring;
pub mod table;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use data::{Dataset, Interaction, ItemMeta, KindWeights};
pub use engine::{DataNeed, EngineDescription, FittedModel};
pub use error::EngineError;
pub use ids::IdMap;
pub use matrix::{CustomerRows, InteractionMatrix, MatrixOptions, SparseAccumulator};
pub use params::{ParamKind, ParamSpec, ParamValues, Params, Search};
pub use recommender::{DynRecommender, Reason, Recommendation, Recommender};
pub use scorer::{DynScorer, FittedScorer, Scorer};
pub use scoring::ScoreError;
