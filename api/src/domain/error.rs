//! What can go wrong in a use case, said in the domain's words. The HTTP
//! layer maps each variant to a problem document; workers and the command
//! line print it.

use super::enums::UnknownValue;
use super::error_code::ErrorCode;

/// One invalid field; `index` is set for rows of a batch.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct FieldError {
    /// Row of the batch the error belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Dotted path of the field, e.g. `attributes.age`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// An error on `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            index: None,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error attributed to row `index` of a batch.
    pub fn at(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }
}

/// Every way a use case can fail.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Some fields are invalid (`validation_failed`).
    #[error("{} field{} invalid", .0.len(), if .0.len() == 1 { " is" } else { "s are" })]
    Invalid(Vec<FieldError>),
    /// The named resource does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state, for the reason given.
    #[error("{detail}")]
    Conflict {
        /// Which conflict.
        code: ErrorCode,
        /// What the caller should know.
        detail: String,
    },
    /// Well-formed, but the rule named by `code` refuses it.
    #[error("{detail}")]
    Unprocessable {
        /// Which rule.
        code: ErrorCode,
        /// What the caller should know.
        detail: String,
    },
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The user must change their one-time password before anything else.
    #[error("this account has a one-time password: change it with POST /api/v1/me/password first")]
    PasswordChangeRequired,
    /// No or bad credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's version of the record is not the current one.
    #[error("{0}")]
    StaleVersion(String),
    /// Too many attempts; retry after this many seconds.
    #[error("too many failed attempts; retry in {retry_after} seconds")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The caller has as much work in progress as it may have; retry later.
    #[error("{detail}")]
    TooMuchWork {
        /// What the limit is and what counts.
        detail: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A dependency is unavailable or saturated; retry after this many seconds.
    #[error("{detail}")]
    Unavailable {
        /// What is unavailable.
        detail: String,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// Something broke on our side; the context is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError {
    /// An invalid single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// The named resource does not exist.
    pub fn not_found(what: &'static str) -> Self {
        Self::NotFound(what)
    }

    /// A conflict of kind `code`.
    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// A stored value that does not parse: an internal error with context.
    pub fn corrupt(what: &str, err: UnknownValue) -> Self {
        Self::Internal(anyhow::Error::new(err).context(format!("stored {what} is unreadable")))
    }

    /// The machine code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict { code, .. } | Self::Unprocessable { code, .. } => *code,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::StaleVersion(_) => ErrorCode::PreconditionFailed,
            Self::RateLimited { .. } | Self::TooMuchWork { .. } => ErrorCode::RateLimited,
            Self::Unavailable { .. } => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }
}
