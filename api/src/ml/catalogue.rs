//! Every engine the service offers, as the registry lists them, with the
//! service-level parameters of scorers, and training parameters as typed JSON.

use rapport_core::{EngineDescription, ParamSpec};
use rapport_engines::{Kind, registry};
use serde::Serialize;
use utoipa::ToSchema;

/// Whether an engine ranks items, scores customers or groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineKind {
    Recommender,
    Scorer,
    Segmenter,
}

impl EngineKind {
    /// Name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recommender => "recommender",
            Self::Scorer => "scorer",
            Self::Segmenter => "segmenter",
        }
    }
}

impl From<Kind> for EngineKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Recommender => Self::Recommender,
            Kind::Scorer => Self::Scorer,
            Kind::Segmenter => Self::Segmenter,
        }
    }
}

/// The kind of a registered engine, or `None` for an unknown name.
pub fn engine_kind(name: &str) -> Option<EngineKind> {
    registry().engine(name).map(|e| e.kind().into())
}

/// Label used by scorers when training does not name one.
pub const DEFAULT_LABEL: &str = "churn=Yes";

/// Service-level parameters of every scorer, read before the engine's own.
pub fn scorer_service_params() -> Vec<ParamSpec> {
    vec![
        ParamSpec::text(
            "label",
            DEFAULT_LABEL,
            "label rule: `attribute=positive` (e.g. churn=Yes) or `lifecycle_stage=churned`",
        ),
        ParamSpec::text(
            "exclude_features",
            "",
            "comma-separated features the model must not use (they can still be protected)",
        ),
        ParamSpec::int(
            "within_days",
            0,
            0,
            3_650,
            "behaviour label: positive when the customer has an interaction of the kind \
             `event` names (default purchase) within this many days after each cutoff; 0 \
             for an attribute label",
        ),
        ParamSpec::text(
            "event",
            "",
            "with within_days: the interaction kind awaited (default purchase; `label` may \
             name it instead)",
        ),
        ParamSpec::int(
            "inactive_days",
            0,
            0,
            3_650,
            "behaviour label: positive when a customer active before a cutoff has no \
             interaction of `kinds` within this many days after it (churn by inactivity)",
        ),
        ParamSpec::text(
            "kinds",
            "",
            "with inactive_days: comma-separated interaction kinds that count as activity \
             (default every kind)",
        ),
        ParamSpec::int(
            "cutoffs",
            6,
            2,
            60,
            "behaviour labels: cutoffs stacked into the training set, newest first (the newest \
             is the end of the log less the window, and its rows are the test part)",
        ),
        ParamSpec::int(
            "cutoff_every_days",
            30,
            1,
            365,
            "behaviour labels: days between cutoffs",
        ),
        ParamSpec::text(
            "protected",
            "",
            "comma-separated attributes whose groups the fairness report compares \
             (count, positive rate, mean score, ROC AUC, calibration error, four-fifths rule)",
        ),
    ]
}

/// Descriptions of every engine in registry order (recommenders first);
/// a scorer's parameters start with the service-level ones.
pub fn descriptions() -> Vec<(EngineKind, EngineDescription)> {
    registry()
        .descriptions()
        .into_iter()
        .map(|(kind, mut description)| {
            if kind == Kind::Scorer {
                let own = std::mem::take(&mut description.params);
                description.params = scorer_service_params();
                description.params.extend(own);
            }
            (kind.into(), description)
        })
        .collect()
}

/// A parameter's text as the JSON value of its type: a number for `int` and
/// `float`, a boolean for `bool`, text otherwise (and when it does not parse,
/// which validation refuses before anything is stored).
pub fn typed_value(spec: &ParamSpec, raw: &str) -> serde_json::Value {
    use serde_json::Value;
    match spec.kind {
        rapport_core::ParamKind::Int => raw.parse::<i64>().map(Value::from).ok(),
        rapport_core::ParamKind::Float => raw
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        rapport_core::ParamKind::Bool => raw.parse::<bool>().map(Value::from).ok(),
        rapport_core::ParamKind::Choice(_) | rapport_core::ParamKind::Text => None,
    }
    .unwrap_or_else(|| Value::String(raw.to_owned()))
}

/// Training parameters as stored and sent: each with the type its engine
/// declares (`"neighbours": 20`, not `"20"`).
pub fn typed_params(
    engine: &str,
    raw: &std::collections::BTreeMap<String, String>,
) -> serde_json::Value {
    let specs = descriptions()
        .into_iter()
        .find(|(_, d)| d.name == engine)
        .map(|(_, d)| d.params)
        .unwrap_or_default();
    let typed = raw
        .iter()
        .map(|(name, value)| {
            let value = match specs.iter().find(|s| &s.name == name) {
                Some(spec) => typed_value(spec, value),
                None => serde_json::Value::String(value.clone()),
            };
            (name.clone(), value)
        })
        .collect();
    serde_json::Value::Object(typed)
}

/// Parameters given as JSON (a request, or a stored job) in the text form
/// engines parse; `Err` names the first parameter that is not a string, a
/// number or a boolean.
pub fn raw_params(
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    use serde_json::Value;
    params
        .iter()
        .map(|(name, value)| match value {
            Value::String(s) => Ok((name.clone(), s.clone())),
            Value::Number(n) => Ok((name.clone(), n.to_string())),
            Value::Bool(b) => Ok((name.clone(), b.to_string())),
            _ => Err(name.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_keep_their_types_and_round_trip() {
        let raw = [
            ("neighbours".to_owned(), "20".to_owned()),
            ("shrinkage".to_owned(), "2.5".to_owned()),
            ("binary".to_owned(), "true".to_owned()),
            ("similarity".to_owned(), "adjusted_cosine".to_owned()),
        ]
        .into_iter()
        .collect();
        let typed = typed_params("item_item", &raw);
        assert_eq!(
            typed,
            serde_json::json!({"neighbours": 20, "shrinkage": 2.5, "binary": true,
                               "similarity": "adjusted_cosine"})
        );
        let serde_json::Value::Object(map) = typed else {
            panic!("not an object")
        };
        assert_eq!(raw_params(&map), Ok(raw));
        let bad = serde_json::json!({"neighbours": [1]});
        assert_eq!(
            raw_params(bad.as_object().unwrap()),
            Err("neighbours".to_owned())
        );
    }
}
