//! Rapport's `segments` engine: customer segmentation by k-means.
//!
//! Features are RFM from plain interaction records ([`rfm_table`]) or chosen
//! customer columns ([`ColumnEncoder`]), standardised with the population
//! std ([`Standardiser`]). [`kmeans`] follows scikit-learn's semantics
//! (greedy k-means++, seeded restarts, Lloyd to a tolerance relative to the
//! mean feature variance); [`silhouette`] scores a clustering; k is given or
//! chosen by best silhouette. A [`SegmentModel`] keeps per-k figures, centres
//! in both units, profiles and ids kept stable across refits by the
//! Hungarian algorithm ([`stable_ids`]), and assigns new customers.
//! Plain data in, plain data out: no HTTP, no database.
//!
//! ```
//! use rapport_core::Params;
//! use rapport_segments::{RfmRecord, Segments};
//!
//! # fn main() -> Result<(), rapport_segments::SegmentError> {
//! const DAY: i64 = 86_400;
//! // Ten loyal customers buying weekly, ten who bought once long ago.
//! let mut records = Vec::new();
//! for c in 0..10u64 {
//!     for w in 0..20 {
//!         records.push(RfmRecord { customer: c, occurred_at: 400 * DAY + w * 7 * DAY, value: 50.0, basket: None });
//!     }
//!     records.push(RfmRecord { customer: 100 + c, occurred_at: (c as i64) * DAY, value: 5.0, basket: None });
//! }
//! let params = Params::new().with("k", 2).with("n_init", 3);
//! let fit = Segments.fit_rfm(&records, None, &params, &[])?.fit;
//! let model = Segments.from_bytes(&Segments.to_bytes(&fit.model)?)?;
//! assert_eq!(model.segments.len(), 2);
//! assert!(model.segments.iter().any(|s| s.profile.traits.contains(&"frequent".to_owned())));
//! let loyal = model.assign(&rapport_segments::Rfm { recency_days: 2.0, frequency: 30.0, monetary: 900.0 }.features())?;
//! assert_eq!(loyal.segment_id, fit.labels[0]);
//! # Ok(())
//! # }
//! ```

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod columns;
mod engine;
mod error;
mod hungarian;
mod kmeans;
mod matrix;
mod model;
mod params;
mod profile;
mod rfm;
mod silhouette;

#[cfg(test)]
mod kmeans_tests;
#[cfg(test)]
mod model_tests;

pub use columns::{ColumnEncoder, Imputation};
pub use engine::{RfmFit, Segments};
pub use error::SegmentError;
pub use hungarian::{assign as hungarian, stable_ids};
pub use kmeans::{Clustering, KMeansOptions, RunSummary, kmeans, kmeans_plusplus, nearest_centre};
pub use matrix::{Points, Standardiser};
pub use model::{Assignment, Features, KReport, Segment, SegmentFit, SegmentModel};
pub use params::{FeatureChoice, MAX_K, SegmentParams, param_specs};
pub use profile::{Profile, WORD_THRESHOLD, column_profile, number, rfm_profile};
pub use rfm::{RFM_FEATURES, Rfm, RfmRecord, RfmTable, rfm_table};
pub use silhouette::{SILHOUETTE_MAX_ROWS, silhouette};
