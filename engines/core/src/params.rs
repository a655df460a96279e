//! Engine parameters: raw `name=value` overrides checked against each engine's specs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::EngineError;

/// The type of a parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ParamKind {
    /// A whole number.
    Int,
    /// A real number.
    Float,
    /// `true` or `false`.
    Bool,
    /// One of a fixed set of words.
    Choice(Vec<String>),
    /// Free text, checked by whoever reads it.
    Text,
}

/// Where a hyper-parameter search draws a parameter's values from, when the
/// engine publishes one (operational parameters such as seeds, threads or
/// memory limits publish none and keep their defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Search {
    /// Uniform over `low..=high` (integers rounded).
    Uniform {
        /// Lowest value drawn.
        low: f64,
        /// Highest value drawn.
        high: f64,
    },
    /// Uniform in log scale over `low..=high` (both positive; integers
    /// rounded), for scales such as regularisation strengths.
    LogUniform {
        /// Lowest value drawn.
        low: f64,
        /// Highest value drawn.
        high: f64,
    },
    /// Every value of a choice parameter, or `true` and `false` of a boolean.
    Choices,
}

/// Description of one parameter: name, type, default and allowed range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Name used in `name=value` overrides.
    pub name: String,
    /// Its type.
    pub kind: ParamKind,
    /// The default value, written as an override would be.
    pub default: String,
    /// Smallest allowed value (numbers only).
    pub min: Option<f64>,
    /// Largest allowed value (numbers only).
    pub max: Option<f64>,
    /// One-line explanation.
    pub doc: String,
    /// The range a hyper-parameter search draws from, when it is searched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<Search>,
}

impl ParamSpec {
    /// An integer parameter in `min..=max`.
    pub fn int(name: &str, default: i64, min: i64, max: i64, doc: &str) -> Self {
        Self::number(
            name,
            ParamKind::Int,
            default.to_string(),
            min as f64,
            max as f64,
            doc,
        )
    }

    /// A real parameter in `min..=max`.
    pub fn float(name: &str, default: f64, min: f64, max: f64, doc: &str) -> Self {
        Self::number(name, ParamKind::Float, default.to_string(), min, max, doc)
    }

    /// A boolean parameter.
    pub fn bool(name: &str, default: bool, doc: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: ParamKind::Bool,
            default: default.to_string(),
            min: None,
            max: None,
            doc: doc.to_owned(),
            search: None,
        }
    }

    /// A free-text parameter.
    pub fn text(name: &str, default: &str, doc: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: ParamKind::Text,
            default: default.to_owned(),
            min: None,
            max: None,
            doc: doc.to_owned(),
            search: None,
        }
    }

    /// A parameter taking one of `choices`.
    pub fn choice(name: &str, default: &str, choices: &[&str], doc: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: ParamKind::Choice(choices.iter().map(|c| (*c).to_owned()).collect()),
            default: default.to_owned(),
            min: None,
            max: None,
            doc: doc.to_owned(),
            search: None,
        }
    }

    /// The same parameter, searched over `search` by hyper-parameter tuning.
    pub fn searched(mut self, search: Search) -> Self {
        self.search = Some(search);
        self
    }

    fn number(name: &str, kind: ParamKind, default: String, min: f64, max: f64, doc: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            default,
            min: Some(min),
            max: Some(max),
            doc: doc.to_owned(),
            search: None,
        }
    }

    fn parse(&self, raw: &str) -> Result<Value, EngineError> {
        let bad = |m: String| EngineError::invalid_param(&self.name, m);
        let raw = raw.trim();
        let value = match &self.kind {
            ParamKind::Int => Value::Int(
                raw.parse::<i64>()
                    .map_err(|_| bad(format!("`{raw}` is not a whole number")))?,
            ),
            ParamKind::Float => {
                let v = raw
                    .parse::<f64>()
                    .map_err(|_| bad(format!("`{raw}` is not a number")))?;
                if !v.is_finite() {
                    return Err(bad(format!("`{raw}` is not a finite number")));
                }
                Value::Float(v)
            }
            ParamKind::Bool => Value::Bool(match raw.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                _ => return Err(bad(format!("`{raw}` is not true or false"))),
            }),
            ParamKind::Choice(choices) => {
                if !choices.iter().any(|c| c == raw) {
                    return Err(bad(format!("`{raw}` is not one of {}", choices.join(", "))));
                }
                Value::Text(raw.to_owned())
            }
            ParamKind::Text => Value::Text(raw.to_owned()),
        };
        let number = match value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            Value::Bool(_) | Value::Text(_) => None,
        };
        if let Some(n) = number {
            if let Some(min) = self.min.filter(|m| n < *m) {
                return Err(bad(format!("{raw} is below the minimum {min}")));
            }
            if let Some(max) = self.max.filter(|m| n > *m) {
                return Err(bad(format!("{raw} is above the maximum {max}")));
            }
        }
        Ok(value)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

/// Raw parameter overrides, name to textual value, as given by a user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    raw: BTreeMap<String, String>,
}

impl Params {
    /// No overrides: every parameter takes its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one override (builder style).
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.raw.insert(name.to_owned(), value.to_string());
        self
    }

    /// Sets one override.
    pub fn set(&mut self, name: &str, value: impl ToString) {
        self.raw.insert(name.to_owned(), value.to_string());
    }

    /// Parses `name=value`.
    pub fn parse_pair(&mut self, pair: &str) -> Result<(), EngineError> {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| EngineError::invalid_param(pair, "expected name=value"))?;
        self.set(name.trim(), value.trim());
        Ok(())
    }

    /// The overrides, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.raw.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Checks every override against `specs` and fills in defaults.
    pub fn resolve(&self, specs: &[ParamSpec]) -> Result<ParamValues, EngineError> {
        for name in self.raw.keys() {
            if !specs.iter().any(|s| &s.name == name) {
                return Err(EngineError::UnknownParam {
                    name: name.clone(),
                    known: specs
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        let mut values = BTreeMap::new();
        for spec in specs {
            let raw = self.raw.get(&spec.name).unwrap_or(&spec.default);
            values.insert(spec.name.clone(), spec.parse(raw)?);
        }
        Ok(ParamValues { values })
    }
}

/// Validated parameter values with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamValues {
    values: BTreeMap<String, Value>,
}

impl ParamValues {
    fn get(&self, name: &str) -> Result<&Value, EngineError> {
        self.values
            .get(name)
            .ok_or_else(|| EngineError::Internal(format!("parameter `{name}` has no spec")))
    }

    fn mismatch(name: &str) -> EngineError {
        EngineError::Internal(format!("parameter `{name}` read with the wrong type"))
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> Result<i64, EngineError> {
        match self.get(name)? {
            Value::Int(v) => Ok(*v),
            _ => Err(Self::mismatch(name)),
        }
    }

    /// An integer parameter as a count.
    pub fn usize(&self, name: &str) -> Result<usize, EngineError> {
        usize::try_from(self.int(name)?)
            .map_err(|_| EngineError::invalid_param(name, "must not be negative"))
    }

    /// A real parameter (integers are accepted too).
    pub fn float(&self, name: &str) -> Result<f64, EngineError> {
        match self.get(name)? {
            Value::Float(v) => Ok(*v),
            Value::Int(v) => Ok(*v as f64),
            _ => Err(Self::mismatch(name)),
        }
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> Result<bool, EngineError> {
        match self.get(name)? {
            Value::Bool(v) => Ok(*v),
            _ => Err(Self::mismatch(name)),
        }
    }

    /// A choice parameter.
    pub fn text(&self, name: &str) -> Result<&str, EngineError> {
        match self.get(name)? {
            Value::Text(v) => Ok(v),
            _ => Err(Self::mismatch(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_params_take_any_value_and_default() {
        let specs = [ParamSpec::text("label", "churn=Yes", "label rule")];
        let given = Params::new()
            .with("label", "stage=churned")
            .resolve(&specs)
            .unwrap();
        assert_eq!(given.text("label").unwrap(), "stage=churned");
        assert_eq!(
            Params::new()
                .resolve(&specs)
                .unwrap()
                .text("label")
                .unwrap(),
            "churn=Yes"
        );
    }

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("neighbours", 50, 1, 1000, "neighbours kept"),
            ParamSpec::float("shrink", 0.0, 0.0, 1e6, "shrinkage"),
            ParamSpec::bool("binary", true, "binarise"),
            ParamSpec::choice("similarity", "cosine", &["cosine", "adjusted"], "measure"),
        ]
    }

    #[test]
    fn defaults_fill_in() {
        let v = Params::new().resolve(&specs()).unwrap();
        assert_eq!(v.usize("neighbours").unwrap(), 50);
        assert_eq!(v.float("shrink").unwrap(), 0.0);
        assert!(v.bool("binary").unwrap());
        assert_eq!(v.text("similarity").unwrap(), "cosine");
    }

    #[test]
    fn overrides_are_parsed() {
        let mut p = Params::new().with("neighbours", 20);
        p.parse_pair("similarity = adjusted").unwrap();
        p.parse_pair("binary=no").unwrap();
        let v = p.resolve(&specs()).unwrap();
        assert_eq!(v.int("neighbours").unwrap(), 20);
        assert_eq!(v.text("similarity").unwrap(), "adjusted");
        assert!(!v.bool("binary").unwrap());
    }

    #[test]
    fn bad_values_are_errors_naming_the_parameter() {
        for (name, value) in [
            ("neighbours", "0"),
            ("neighbours", "x"),
            ("shrink", "-1"),
            ("shrink", "NaN"),
            ("binary", "maybe"),
            ("similarity", "jaccard"),
        ] {
            let err = Params::new()
                .with(name, value)
                .resolve(&specs())
                .unwrap_err();
            assert!(
                matches!(&err, EngineError::InvalidParam { name: n, .. } if n == name),
                "{name}={value}: {err}"
            );
        }
        assert!(matches!(
            Params::new().with("nope", 1).resolve(&specs()),
            Err(EngineError::UnknownParam { .. })
        ));
        assert!(Params::new().parse_pair("novalue").is_err());
    }

    #[test]
    fn reading_with_the_wrong_type_is_internal() {
        let v = Params::new().resolve(&specs()).unwrap();
        assert!(matches!(v.bool("shrink"), Err(EngineError::Internal(_))));
        assert!(matches!(v.int("missing"), Err(EngineError::Internal(_))));
    }
}
