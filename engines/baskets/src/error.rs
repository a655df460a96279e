//! What can go wrong when mining baskets.

use rapport_core::EngineError;
use thiserror::Error;

/// An error of basket mining: every variant but [`BasketError::Internal`] is
/// the caller's (a threshold too loose for the data, a malformed number).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BasketError {
    /// A threshold is not a valid fraction.
    #[error("invalid fraction {0}")]
    BadFraction(String),
    /// A threshold is outside its range.
    #[error("parameter `{name}`: {message}")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// Why it was refused.
        message: String,
    },
    /// More frequent itemsets than allowed: the support threshold is too low.
    #[error(
        "more than {limit} frequent itemsets at min_support {min_support} (at least {min_count} of \
         {n_baskets} baskets) with max_len {max_len}: raise min_support, lower max_len, or raise \
         max_itemsets"
    )]
    TooManyItemsets {
        /// The cap (`max_itemsets`).
        limit: usize,
        /// The support threshold as given.
        min_support: String,
        /// The count threshold it gives.
        min_count: u64,
        /// Baskets mined.
        n_baskets: u64,
        /// The longest itemset asked for.
        max_len: usize,
    },
    /// More rules than allowed: the confidence threshold is too low.
    #[error(
        "more than {limit} rules at min_confidence {min_confidence}: raise min_confidence (or \
         min_support), or raise max_rules"
    )]
    TooManyRules {
        /// The cap (`max_rules`).
        limit: usize,
        /// The confidence threshold as given.
        min_confidence: String,
    },
    /// The data exceeds what counts can hold (more than 2^32 - 1 baskets).
    #[error("too much data: {0}")]
    TooLarge(String),
    /// A broken invariant; not the caller's fault.
    #[error("internal basket mining error: {0}")]
    Internal(String),
}

impl From<BasketError> for EngineError {
    /// Caps name the threshold to raise, so a service reports them as a bad
    /// parameter with that name.
    fn from(e: BasketError) -> Self {
        let message = e.to_string();
        match e {
            BasketError::BadFraction(_) => EngineError::InvalidData(message),
            BasketError::OutOfRange { name, .. } => EngineError::invalid_param(name, message),
            BasketError::TooManyItemsets { .. } => {
                EngineError::invalid_param("min_support", message)
            }
            BasketError::TooManyRules { .. } => {
                EngineError::invalid_param("min_confidence", message)
            }
            BasketError::TooLarge(_) => EngineError::InvalidData(message),
            BasketError::Internal(_) => EngineError::Internal(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_become_parameter_errors_naming_the_threshold() {
        let e = BasketError::TooManyItemsets {
            limit: 10,
            min_support: "0.01".into(),
            min_count: 3,
            n_baskets: 300,
            max_len: 4,
        };
        let text = e.to_string();
        assert!(
            text.contains("raise min_support") && text.contains("10"),
            "{text}"
        );
        let engine: EngineError = e.into();
        assert!(matches!(&engine, EngineError::InvalidParam { name, .. } if name == "min_support"));
        assert!(engine.is_caller_error());
        let rules: EngineError = BasketError::TooManyRules {
            limit: 5,
            min_confidence: "0.1".into(),
        }
        .into();
        assert!(
            matches!(&rules, EngineError::InvalidParam { name, .. } if name == "min_confidence")
        );
        let internal: EngineError = BasketError::Internal("x".into()).into();
        assert!(!internal.is_caller_error());
    }
}
