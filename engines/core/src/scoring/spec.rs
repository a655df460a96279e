//! What a scorer learns from a frame: the label (a column, or a rule
//! `column == value`, with a positive class), the columns left out, column
//! types, and the figures of a training run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ScoreError;
use super::frame::{Frame, Row, Value};

/// Levels taken as the positive class when the caller names none.
const DEFAULT_POSITIVES: [&str; 3] = ["1", "true", "yes"];

/// Which column holds the label and which of its values is the positive class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSpec {
    /// The label column.
    pub column: String,
    /// The positive value; when `None`, `1`, `true` or `yes` (any case) is used if present.
    pub positive: Option<String>,
}

impl LabelSpec {
    /// A label on `column` whose positive class is guessed from its values.
    pub fn column(column: impl Into<String>) -> LabelSpec {
        LabelSpec {
            column: column.into(),
            positive: None,
        }
    }

    /// The rule `column == positive`.
    pub fn rule(column: impl Into<String>, positive: impl Into<String>) -> LabelSpec {
        LabelSpec {
            column: column.into(),
            positive: Some(positive.into()),
        }
    }

    /// Parses `COL`, `COL=VALUE` or `COL == VALUE` (the value may be quoted).
    pub fn parse(spec: &str) -> Result<LabelSpec, ScoreError> {
        let (column, positive) = match spec.split_once("==").or_else(|| spec.split_once('=')) {
            Some((column, value)) => (column.trim(), Some(unquote(value.trim()))),
            None => (spec.trim(), None),
        };
        if column.is_empty() || positive == Some("") {
            return Err(ScoreError::BadLabel(spec.to_owned()));
        }
        Ok(LabelSpec {
            column: column.to_owned(),
            positive: positive.map(str::to_owned),
        })
    }

    /// Fixes the positive class against the training values of the label column.
    pub fn resolve<'a>(
        &self,
        values: impl Iterator<Item = &'a Value>,
    ) -> Result<ResolvedLabel, ScoreError> {
        if let Some(positive) = &self.positive {
            return Ok(ResolvedLabel {
                column: self.column.clone(),
                positive: positive.clone(),
            });
        }
        let mut levels: Vec<String> = values.filter_map(Value::as_level).collect();
        levels.sort();
        levels.dedup();
        let is_default = |level: &String| {
            DEFAULT_POSITIVES.contains(&level.to_lowercase().as_str())
                || level.trim().parse::<f64>() == Ok(1.0)
        };
        levels
            .into_iter()
            .find(is_default)
            .map(|positive| ResolvedLabel {
                column: self.column.clone(),
                positive,
            })
            .ok_or_else(|| ScoreError::AmbiguousLabel {
                column: self.column.clone(),
            })
    }
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(s)
}

/// A label whose positive class is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedLabel {
    /// The label column.
    pub column: String,
    /// The positive value.
    pub positive: String,
}

impl ResolvedLabel {
    /// Whether a value is the positive class; `None` when it is missing.
    /// Numbers compare numerically, so `1`, `1.0` and `"1"` are one class.
    pub fn is_positive(&self, value: &Value) -> Option<bool> {
        let level = value.as_level()?;
        let numeric = value
            .as_number()
            .zip(self.positive.trim().parse::<f64>().ok())
            .map(|(a, b)| a == b);
        Some(numeric.unwrap_or(level == self.positive))
    }

    /// The label of one row, or an error naming the row when it is missing.
    pub fn of_row(&self, row: &impl Row, index: usize) -> Result<bool, ScoreError> {
        row.get(&self.column)
            .and_then(|v| self.is_positive(v))
            .ok_or_else(|| ScoreError::MissingLabel {
                column: self.column.clone(),
                row: index,
            })
    }
}

/// How a column is read: as a number or as categorical levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    /// A number; missing values are the engine's to handle.
    Numeric,
    /// Categorical levels.
    Categorical,
}

impl ColumnKind {
    /// Numeric when at least one value is present and every present value reads as a number.
    pub fn infer<'a>(values: impl Iterator<Item = &'a Value>) -> ColumnKind {
        let mut any = false;
        for value in values.filter(|v| !v.is_missing()) {
            if value.as_number().is_none() {
                return ColumnKind::Categorical;
            }
            any = true;
        }
        if any {
            ColumnKind::Numeric
        } else {
            ColumnKind::Categorical
        }
    }
}

/// What to learn from a frame: the label, the columns to leave out, type overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSpec {
    /// The label column and its positive class.
    pub label: LabelSpec,
    /// Columns that are not features (ids, leaks); must exist.
    pub exclude: Vec<String>,
    /// Column types that override inference.
    pub kinds: BTreeMap<String, ColumnKind>,
}

impl TrainSpec {
    /// Every column but the label is a feature; types are inferred.
    pub fn new(label: LabelSpec) -> TrainSpec {
        TrainSpec {
            label,
            exclude: Vec::new(),
            kinds: BTreeMap::new(),
        }
    }

    /// Resolves the label's positive class on `frame` and reads every row's
    /// class; refuses a frame with no rows or whose rows all fall in one class.
    pub fn labels(&self, frame: &Frame) -> Result<(ResolvedLabel, Vec<bool>), ScoreError> {
        if frame.is_empty() {
            return Err(ScoreError::NoRows);
        }
        let index = frame
            .column_index(&self.label.column)
            .ok_or_else(|| ScoreError::UnknownColumn(self.label.column.clone()))?;
        let values = (0..frame.len()).filter_map(|i| frame.row_values(i)?.get(index));
        let label = self.label.resolve(values)?;
        let y = frame
            .iter()
            .enumerate()
            .map(|(i, row)| label.of_row(&row, i))
            .collect::<Result<Vec<bool>, _>>()?;
        match y.iter().filter(|&&p| p).count() {
            0 => Err(ScoreError::OneClass {
                class: format!("not {}", label.positive),
            }),
            n if n == y.len() => Err(ScoreError::OneClass {
                class: label.positive.clone(),
            }),
            _ => Ok((label, y)),
        }
    }

    /// The feature columns of `frame`: every column but the label and the
    /// excluded ones (which must exist); refuses an empty list.
    pub fn feature_columns(
        &self,
        frame: &Frame,
        label: &ResolvedLabel,
    ) -> Result<Vec<String>, ScoreError> {
        if let Some(unknown) = self
            .exclude
            .iter()
            .find(|c| frame.column_index(c).is_none())
        {
            return Err(ScoreError::UnknownColumn(unknown.clone()));
        }
        let columns: Vec<String> = frame
            .columns()
            .iter()
            .filter(|c| **c != label.column && !self.exclude.contains(c))
            .cloned()
            .collect();
        if columns.is_empty() {
            return Err(ScoreError::NoFeatures);
        }
        Ok(columns)
    }

    /// The kind of feature `column`: the override of [`TrainSpec::kinds`], or
    /// inferred from its values in `frame`.
    pub fn kind_of(&self, frame: &Frame, column: usize) -> ColumnKind {
        let name = frame.columns().get(column);
        match name.and_then(|n| self.kinds.get(n)) {
            Some(kind) => *kind,
            None => {
                ColumnKind::infer((0..frame.len()).filter_map(|i| frame.row_values(i)?.get(column)))
            }
        }
    }
}

/// Figures about a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainStats {
    /// Train rows.
    pub rows: usize,
    /// Positive train rows.
    pub positives: usize,
    /// Model columns (inputs after any encoding).
    pub columns: usize,
    /// The training objective the engine minimised, at its solution.
    pub objective: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_column_rule_and_quoted_rule() {
        assert_eq!(
            LabelSpec::parse("churn").unwrap(),
            LabelSpec::column("churn")
        );
        assert_eq!(
            LabelSpec::parse("Churn=Yes").unwrap(),
            LabelSpec::rule("Churn", "Yes")
        );
        assert_eq!(
            LabelSpec::parse("lifecycle_stage == \"churned\"").unwrap(),
            LabelSpec::rule("lifecycle_stage", "churned")
        );
        assert!(LabelSpec::parse("=Yes").is_err());
        assert!(LabelSpec::parse("churn=").is_err());
    }

    #[test]
    fn guesses_positive_class_or_refuses() {
        let values = [Value::Text("No".into()), Value::Text("Yes".into())];
        let label = LabelSpec::column("c").resolve(values.iter()).unwrap();
        assert_eq!(label.positive, "Yes");
        let values = [Value::Text("0.0".into()), Value::Text("1.0".into())];
        let label = LabelSpec::column("c").resolve(values.iter()).unwrap();
        assert_eq!(label.positive, "1.0");
        let values = [Value::Text("a".into()), Value::Text("b".into())];
        assert!(matches!(
            LabelSpec::column("c").resolve(values.iter()),
            Err(ScoreError::AmbiguousLabel { .. })
        ));
    }

    #[test]
    fn numbers_compare_numerically() {
        let label = LabelSpec::rule("c", "1").resolve([].iter()).unwrap();
        assert_eq!(label.is_positive(&Value::Number(1.0)), Some(true));
        assert_eq!(label.is_positive(&Value::Text("1.0".into())), Some(true));
        assert_eq!(label.is_positive(&Value::Bool(false)), Some(false));
        assert_eq!(label.is_positive(&Value::Missing), None);
    }

    #[test]
    fn infers_numeric_only_when_every_present_value_is_a_number() {
        let numbers = [
            Value::Text("1.5".into()),
            Value::Missing,
            Value::Number(2.0),
        ];
        assert_eq!(ColumnKind::infer(numbers.iter()), ColumnKind::Numeric);
        let mixed = [Value::Text("1".into()), Value::Text("x".into())];
        assert_eq!(ColumnKind::infer(mixed.iter()), ColumnKind::Categorical);
        let empty = [Value::Missing];
        assert_eq!(ColumnKind::infer(empty.iter()), ColumnKind::Categorical);
    }
}
