//! The segmentation engine's error type, split into what the caller got
//! wrong and what broke.

use rapport_core::EngineError;
use thiserror::Error;

/// Everything that can go wrong while building features, fitting, assigning
/// or (de)serialising a segmentation model.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SegmentError {
    /// A parameter is unknown or has a bad value.
    #[error("parameter `{name}`: {reason}")]
    InvalidParam {
        /// Parameter name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// There are no rows (customers) to segment.
    #[error("no customers to segment")]
    NoRows,
    /// Fewer distinct rows than segments asked for.
    #[error("{rows} customers cannot make {k} segments")]
    TooFewRows {
        /// Rows in the data.
        rows: usize,
        /// Segments asked for.
        k: usize,
    },
    /// No feature column was chosen.
    #[error("no feature columns chosen")]
    NoFeatures,
    /// A chosen column does not exist.
    #[error("unknown column `{0}`")]
    UnknownColumn(String),
    /// A numeric column holds something that is not a number.
    #[error("column `{column}` row {row} holds `{value}`, not a number")]
    NotNumeric {
        /// The column.
        column: String,
        /// The 0-based row index.
        row: usize,
        /// The offending value.
        value: String,
    },
    /// A value is NaN or infinite.
    #[error("non-finite value in `{column}` at row {row}")]
    NonFinite {
        /// The column or record field.
        column: String,
        /// The 0-based row or record index.
        row: usize,
    },
    /// A feature row has the wrong number of values for the model.
    #[error("feature row has {found} values, the model expects {expected}")]
    WrongWidth {
        /// Features of the model.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// The model was fitted on other features than the ones asked for.
    #[error("the model was fitted on {fitted} features, not {asked}")]
    WrongFeatures {
        /// What the model was fitted on.
        fitted: String,
        /// What the caller used.
        asked: String,
    },
    /// Model bytes could not be decoded (or belong to another engine).
    #[error("bad model bytes: {0}")]
    BadModelBytes(String),
    /// An internal failure the caller cannot fix.
    #[error("internal segments error: {0}")]
    Internal(String),
}

impl SegmentError {
    /// Whether the caller caused the error (bad parameter, data or bytes).
    pub fn is_caller_error(&self) -> bool {
        match self {
            Self::InvalidParam { .. }
            | Self::NoRows
            | Self::TooFewRows { .. }
            | Self::NoFeatures
            | Self::UnknownColumn(_)
            | Self::NotNumeric { .. }
            | Self::NonFinite { .. }
            | Self::WrongWidth { .. }
            | Self::WrongFeatures { .. }
            | Self::BadModelBytes(_) => true,
            Self::Internal(_) => false,
        }
    }

    /// Shorthand for [`SegmentError::InvalidParam`].
    pub fn invalid_param(name: &str, reason: impl Into<String>) -> Self {
        Self::InvalidParam {
            name: name.to_owned(),
            reason: reason.into(),
        }
    }
}

impl From<EngineError> for SegmentError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::InvalidParam { name, message } => Self::InvalidParam {
                name,
                reason: message,
            },
            EngineError::UnknownParam { name, known } => Self::InvalidParam {
                name,
                reason: format!("unknown parameter (known: {known})"),
            },
            EngineError::InvalidData(m) => Self::Internal(format!("invalid data: {m}")),
            other @ (EngineError::UnknownItem(_)
            | EngineError::UnknownCustomer(_)
            | EngineError::CatalogueTooLarge { .. }
            | EngineError::Serialization(_)
            | EngineError::Internal(_)) => Self::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_errors_are_told_apart_and_params_keep_their_name() {
        assert!(SegmentError::NoRows.is_caller_error());
        assert!(!SegmentError::Internal("x".into()).is_caller_error());
        let e: SegmentError = EngineError::invalid_param("k", "too big").into();
        assert_eq!(e, SegmentError::invalid_param("k", "too big"));
        let e: SegmentError = EngineError::UnknownParam {
            name: "x".into(),
            known: "k".into(),
        }
        .into();
        assert!(matches!(e, SegmentError::InvalidParam { name, .. } if name == "x"));
    }
}
