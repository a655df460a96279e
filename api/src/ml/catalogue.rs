//! Every engine the service offers: the recommenders of the registry plus the
//! logistic scorer.

use rapport_core::{EngineDescription, ParamSpec};
use serde::Serialize;
use utoipa::ToSchema;

/// Whether an engine ranks items or scores customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    Recommender,
    Scorer,
}

impl EngineKind {
    /// Name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recommender => "recommender",
            Self::Scorer => "scorer",
        }
    }
}

/// The kind of a registered engine, or `None` for an unknown name.
pub fn engine_kind(name: &str) -> Option<EngineKind> {
    if name == rapport_logistic::ENGINE {
        Some(EngineKind::Scorer)
    } else if rapport_engines::registry().get(name).is_some() {
        Some(EngineKind::Recommender)
    } else {
        None
    }
}

/// Label used by the scorer when training does not name one.
pub const DEFAULT_LABEL: &str = "churn=Yes";

/// Service-level parameters of the scorer, read before the engine's own.
pub fn scorer_service_params() -> Vec<ParamSpec> {
    vec![ParamSpec::text(
        "label",
        DEFAULT_LABEL,
        "label rule: `attribute=positive` (e.g. churn=Yes) or `lifecycle_stage=churned`",
    )]
}

/// Descriptions of every engine, recommenders first.
pub fn descriptions() -> Vec<(EngineKind, EngineDescription)> {
    let mut out: Vec<(EngineKind, EngineDescription)> = rapport_engines::registry()
        .descriptions()
        .into_iter()
        .map(|d| (EngineKind::Recommender, d))
        .collect();
    let scorer = rapport_logistic::describe();
    let mut params = scorer_service_params();
    params.extend(scorer.params);
    out.push((
        EngineKind::Scorer,
        EngineDescription {
            name: scorer.name,
            summary: scorer.summary,
            params,
            needs: Vec::new(),
        },
    ));
    out
}
