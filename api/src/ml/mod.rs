//! Machine learning in the service: reading training data from the database,
//! training and storing models, the job queue, and serving active models.
//! The engines themselves live in `engines/` and know nothing of this.

pub mod activity;
pub mod book;
pub mod catalogue;
pub mod data;
pub mod dismissals;
pub mod exclusions;
pub mod experiment_arms;
pub mod item_filter;
pub mod jobs;
pub mod listing;
pub mod merchandising;
pub mod online;
pub mod scorer_training;
pub mod scoring;
pub mod segmentation;
pub mod serving;
pub mod stored;
pub mod train;
pub mod tuning;
pub mod weights;

pub use catalogue::{EngineKind, engine_kind};
