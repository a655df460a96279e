//! What every scoring engine shares: customer tables ([`Frame`]s of
//! [`Value`]s), the label and training spec, behaviour features computed
//! from the interaction log, labels read from behaviour after a cutoff,
//! predictions with their per-feature factors, the
//! scorers' error type, and the evaluation protocol of DESIGN.md §5.

mod behaviour;
mod behaviour_label;
mod error;
pub mod eval;
mod frame;
mod prediction;
mod spec;

pub use behaviour::{BehaviourFeatures, CustomerEvent, KINDS, WINDOWS};
pub use behaviour_label::{BehaviourLabel, temporal_split};
pub use error::ScoreError;
pub use eval::{FeatureImportance, ScorerEvalReport};
pub use frame::{Frame, FrameRow, Row, Value};
pub use prediction::{Factor, Prediction, sigmoid};
pub use spec::{ColumnKind, LabelSpec, ResolvedLabel, TrainSpec, TrainStats};
