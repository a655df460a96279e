//! The error type shared by every engine.

use thiserror::Error;

/// What can go wrong when fitting or using an engine.
///
/// The first variants are the caller's fault (a service maps them to 4xx);
/// [`EngineError::Internal`] and [`EngineError::Serialization`] mean something broke.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EngineError {
    /// A parameter has a bad value or type.
    #[error("parameter `{name}`: {message}")]
    InvalidParam {
        /// The parameter's name.
        name: String,
        /// Why the value was refused.
        message: String,
    },
    /// A parameter the engine does not know.
    #[error("unknown parameter `{name}` (known: {known})")]
    UnknownParam {
        /// The unknown name.
        name: String,
        /// The engine's parameters, comma-separated.
        known: String,
    },
    /// An item index outside the fitted catalogue.
    #[error("unknown item index {0}")]
    UnknownItem(u32),
    /// A customer index outside the fitted data.
    #[error("unknown customer index {0}")]
    UnknownCustomer(u32),
    /// The catalogue exceeds what the engine can handle.
    #[error(
        "catalogue of {items} items is larger than the limit of {limit} items for engine `{engine}` (raise parameter `{param}` or use another engine)"
    )]
    CatalogueTooLarge {
        /// The engine refusing the data.
        engine: String,
        /// Items in the data.
        items: usize,
        /// The limit in force.
        limit: usize,
        /// The parameter that sets the limit.
        param: String,
    },
    /// The input data is inconsistent (e.g. an interaction naming an item beyond `n_items`).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// A model could not be encoded or decoded.
    #[error("model serialisation failed: {0}")]
    Serialization(String),
    /// An internal failure that the caller cannot fix.
    #[error("internal engine error: {0}")]
    Internal(String),
}

impl EngineError {
    /// Whether the caller caused the error (bad parameter, unknown id, data too large).
    pub fn is_caller_error(&self) -> bool {
        match self {
            Self::InvalidParam { .. }
            | Self::UnknownParam { .. }
            | Self::UnknownItem(_)
            | Self::UnknownCustomer(_)
            | Self::CatalogueTooLarge { .. }
            | Self::InvalidData(_) => true,
            Self::Serialization(_) | Self::Internal(_) => false,
        }
    }

    /// Shorthand for [`EngineError::InvalidParam`].
    pub fn invalid_param(name: &str, message: impl Into<String>) -> Self {
        Self::InvalidParam {
            name: name.to_owned(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_errors_are_told_apart_from_internal_ones() {
        assert!(EngineError::UnknownItem(3).is_caller_error());
        assert!(EngineError::invalid_param("k", "must be positive").is_caller_error());
        assert!(!EngineError::Internal("x".into()).is_caller_error());
        assert!(!EngineError::Serialization("x".into()).is_caller_error());
    }

    #[test]
    fn too_large_names_the_limit() {
        let e = EngineError::CatalogueTooLarge {
            engine: "ease".into(),
            items: 30_000,
            limit: 20_000,
            param: "max_items".into(),
        };
        let text = e.to_string();
        assert!(
            text.contains("20000") && text.contains("max_items"),
            "{text}"
        );
    }
}
