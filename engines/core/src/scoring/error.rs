//! The error type shared by every scoring engine, split into caller mistakes
//! and internal failures.

use thiserror::Error;

use crate::error::EngineError;

/// Everything that can go wrong while fitting, scoring, saving or evaluating a scoring model.
#[derive(Debug, Error)]
pub enum ScoreError {
    /// There are no rows to train on.
    #[error("no rows to train on")]
    NoRows,
    /// All training labels belong to one class.
    #[error("the label has only one class ({class}); training needs positive and negative rows")]
    OneClass {
        /// Which class every row belongs to.
        class: String,
    },
    /// A number is NaN or infinite.
    #[error("non-finite value in column `{column}` at row {row}")]
    NonFinite {
        /// The column holding the value.
        column: String,
        /// The 0-based row index.
        row: usize,
    },
    /// A named column does not exist.
    #[error("unknown column `{0}`")]
    UnknownColumn(String),
    /// Two columns share a name.
    #[error("duplicate column `{0}`")]
    DuplicateColumn(String),
    /// A row has the wrong number of values.
    #[error("row {row} has {found} values, expected {expected}")]
    RaggedRow {
        /// The 0-based row index.
        row: usize,
        /// Number of columns.
        expected: usize,
        /// Number of values in the row.
        found: usize,
    },
    /// A training row has no label value.
    #[error("row {row} has no value in label column `{column}`")]
    MissingLabel {
        /// The label column.
        column: String,
        /// The 0-based row index.
        row: usize,
    },
    /// The label's positive class cannot be guessed.
    #[error("cannot tell the positive class of label `{column}`; give it as `{column}=VALUE`")]
    AmbiguousLabel {
        /// The label column.
        column: String,
    },
    /// A label specification could not be parsed.
    #[error("bad label `{0}`: expected `COLUMN`, `COLUMN=VALUE` or `COLUMN == VALUE`")]
    BadLabel(String),
    /// After dropping the label and excluded columns nothing is left to learn from.
    #[error("no feature columns left after excluding the label and dropped columns")]
    NoFeatures,
    /// A parameter is unknown or has a bad value.
    #[error("parameter `{name}`: {reason}")]
    InvalidParam {
        /// Parameter name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A column type override names a column that is not numeric.
    #[error("column `{column}` was declared numeric but row {row} holds `{value}`")]
    NotNumeric {
        /// The column.
        column: String,
        /// The 0-based row index.
        row: usize,
        /// The offending value.
        value: String,
    },
    /// Model bytes could not be read (corrupt, truncated, another engine's
    /// model or another format version).
    #[error("model bytes are not a readable model: {0}")]
    BadModelBytes(String),
    /// The evaluation protocol leaves no test row.
    #[error("{0} rows leave no test row (row i with i % 5 == 4 is test)")]
    NoTestRows(usize),
    /// The engine's solver failed.
    #[error("solver failed: {0}")]
    Solver(String),
    /// An invariant of the engine was broken.
    #[error("internal error: {0}")]
    Internal(String),
    /// The model could not be serialised.
    #[error("cannot serialise the model: {0}")]
    Serialise(String),
}

impl ScoreError {
    /// The 0-based row an error is about, if any.
    pub fn row(&self) -> Option<usize> {
        match self {
            ScoreError::NonFinite { row, .. }
            | ScoreError::RaggedRow { row, .. }
            | ScoreError::MissingLabel { row, .. }
            | ScoreError::NotNumeric { row, .. } => Some(*row),
            _ => None,
        }
    }

    /// Renumbers the row an error is about (e.g. from a train subset to the whole input).
    pub fn map_row(mut self, f: impl Fn(usize) -> usize) -> ScoreError {
        if let ScoreError::NonFinite { row, .. }
        | ScoreError::RaggedRow { row, .. }
        | ScoreError::MissingLabel { row, .. }
        | ScoreError::NotNumeric { row, .. } = &mut self
        {
            *row = f(*row);
        }
        self
    }

    /// True for failures the caller cannot fix by changing the input or parameters.
    pub fn is_internal(&self) -> bool {
        match self {
            ScoreError::Solver(_) | ScoreError::Internal(_) | ScoreError::Serialise(_) => true,
            ScoreError::NoRows
            | ScoreError::OneClass { .. }
            | ScoreError::NonFinite { .. }
            | ScoreError::UnknownColumn(_)
            | ScoreError::DuplicateColumn(_)
            | ScoreError::RaggedRow { .. }
            | ScoreError::MissingLabel { .. }
            | ScoreError::AmbiguousLabel { .. }
            | ScoreError::BadLabel(_)
            | ScoreError::NoFeatures
            | ScoreError::InvalidParam { .. }
            | ScoreError::NotNumeric { .. }
            | ScoreError::BadModelBytes(_)
            | ScoreError::NoTestRows(_) => false,
        }
    }
}

/// Parameter mistakes found by [`crate::Params::resolve`] are the caller's;
/// any other engine error inside a scorer is internal.
impl From<EngineError> for ScoreError {
    fn from(e: EngineError) -> ScoreError {
        match e {
            EngineError::InvalidParam { name, message } => ScoreError::InvalidParam {
                name,
                reason: message,
            },
            EngineError::UnknownParam { name, known } => ScoreError::InvalidParam {
                name,
                reason: format!("unknown parameter (known: {known})"),
            },
            EngineError::UnknownItem(_)
            | EngineError::UnknownCustomer(_)
            | EngineError::CatalogueTooLarge { .. }
            | EngineError::InvalidData(_)
            | EngineError::Serialization(_)
            | EngineError::Internal(_) => ScoreError::Internal(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_renumbered_and_parameter_mistakes_are_the_callers() {
        let err = ScoreError::MissingLabel {
            column: "churn".into(),
            row: 2,
        };
        assert_eq!(err.map_row(|r| r * 10).row(), Some(20));
        assert_eq!(ScoreError::NoRows.map_row(|r| r + 1).row(), None);
        let err = ScoreError::from(EngineError::UnknownParam {
            name: "k".into(),
            known: "c".into(),
        });
        assert!(matches!(&err, ScoreError::InvalidParam { name, .. } if name == "k"));
        assert!(!err.is_internal());
        assert!(ScoreError::from(EngineError::Internal("x".into())).is_internal());
    }
}
