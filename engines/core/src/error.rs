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
        "catalogue of {items} items is larger than the limit of {limit} items for engine `{engine}`{}",
        too_large_advice(param, *estimated_bytes)
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
        /// Peak bytes of the dense item-by-item matrices a fit over these
        /// items would hold, for an engine that keeps such matrices.
        estimated_bytes: Option<u64>,
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

/// The end of [`EngineError::CatalogueTooLarge`]'s message: what the fit
/// would need, if known, and what the caller can do.
fn too_large_advice(param: &str, estimated_bytes: Option<u64>) -> String {
    match estimated_bytes {
        Some(bytes) => format!(
            "; a fit would need about {} for its item-by-item matrices (raise parameter \
             `{param}` if the trainer has that memory, or use item_item or als, which keep \
             no dense item-by-item matrix)",
            approximate_size(bytes)
        ),
        None => format!(" (raise parameter `{param}` or use another engine)"),
    }
}

/// `bytes` in decimal units, to two significant figures from 1 GB and as
/// whole MB below.
fn approximate_size(bytes: u64) -> String {
    const MB: f64 = 1e6;
    const GB: f64 = 1e9;
    let b = bytes as f64;
    if b >= 10.0 * GB {
        format!("{:.0} GB", b / GB)
    } else if b >= GB {
        format!("{:.1} GB", b / GB)
    } else {
        format!("{} MB", (b / MB).ceil() as u64)
    }
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
            estimated_bytes: None,
        };
        let text = e.to_string();
        assert!(
            text.contains("20000") && text.contains("max_items") && text.contains("another engine"),
            "{text}"
        );
    }

    #[test]
    fn too_large_carries_the_estimate() {
        let e = |bytes| EngineError::CatalogueTooLarge {
            engine: "ease".into(),
            items: 30_000,
            limit: 20_000,
            param: "max_items".into(),
            estimated_bytes: Some(bytes),
        };
        let text = e(14_400_000_000).to_string();
        assert!(
            text.contains("limit of 20000 items")
                && text.contains("about 14 GB for its item-by-item matrices")
                && text.contains("`max_items`")
                && text.contains("item_item or als"),
            "{text}"
        );
        assert!(e(2_800_000_000).to_string().contains("about 2.8 GB"));
        assert!(e(400_000_001).to_string().contains("about 401 MB"));
    }
}
