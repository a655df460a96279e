//! The one HTTP error type: it wraps the domain error and adds what only
//! HTTP can get wrong (a malformed body or header, a method, a size), and
//! renders every case as RFC 9457 `application/problem+json` whose `code` is
//! an [`ErrorCode`]. Database and engine errors reach it through
//! [`crate::db::classify`] and [`engine_error`], which name every variant.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use rapport_core::EngineError;
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::domain::FieldError;
use crate::domain::{DomainError, ErrorCode};

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// URI reference identifying the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Field errors, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorDoc>)]
    pub errors: Vec<FieldError>,
}

/// One invalid field; `index` is set for rows of a batch.
#[derive(ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorDoc {
    /// Row of the batch the error belongs to.
    pub index: Option<usize>,
    /// Dotted path of the field, e.g. `attributes.age`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The use case refused or failed.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The request itself is malformed (400): body, query or header.
    #[error("{detail}")]
    BadRequest {
        /// Which part is malformed.
        code: ErrorCode,
        /// What is wrong with it.
        detail: String,
    },
    /// No route matches the path (404).
    #[error("{0}")]
    NoRoute(String),
    /// The path exists but not for this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is larger than the configured limit (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not JSON (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
}

impl ApiError {
    /// A 422 for a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::invalid(field, message).into()
    }

    /// A 404 naming the missing resource.
    pub fn not_found(what: &'static str) -> Self {
        DomainError::not_found(what).into()
    }

    /// A 400 of kind `code`.
    pub fn bad_request(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// The machine code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Domain(err) => err.code(),
            Self::BadRequest { code, .. } => *code,
            Self::NoRoute(_) => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Domain(DomainError::Internal(_)) => {
                "an unexpected error occurred; it has been logged".to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let code = self.code();
        Problem {
            problem_type: code.type_uri(),
            title: code.title().to_owned(),
            status: code.status(),
            detail: self.detail(),
            code,
            errors: match self {
                Self::Domain(DomainError::Invalid(errors)) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        Self::Domain(DomainError::from(err))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::Domain(DomainError::Internal(err))
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        Self::Domain(engine_error(err))
    }
}

/// What an engine's refusal means to a caller at serving or training time:
/// a bad or unknown parameter, or a catalogue too large for the engine, is
/// a field error on `params`; bad data on `data`; the rest broke on our side.
pub fn engine_error(err: EngineError) -> DomainError {
    let field = match &err {
        EngineError::InvalidParam { name, .. } | EngineError::UnknownParam { name, .. } => {
            format!("params.{name}")
        }
        EngineError::CatalogueTooLarge { param, .. } => format!("params.{param}"),
        EngineError::InvalidData(_) => "data".to_owned(),
        EngineError::UnknownItem(_) => {
            return DomainError::conflict(ErrorCode::ItemUnknownToModel, err.to_string());
        }
        EngineError::UnknownCustomer(_) => return DomainError::NotFound("customer in the model"),
        EngineError::Serialization(_) | EngineError::Internal(_) => {
            return DomainError::Internal(anyhow::Error::new(err).context("engine error"));
        }
    };
    DomainError::invalid(field, err.to_string())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Domain(DomainError::Internal(cause)) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            Self::Domain(DomainError::Unauthorized(_)) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::Domain(
                DomainError::RateLimited { retry_after }
                | DomainError::TooMuchWork { retry_after, .. }
                | DomainError::Unavailable { retry_after, .. },
            ) => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_fields() {
        let err = ApiError::Domain(DomainError::Invalid(vec![
            FieldError::new("email", "is not an e-mail address"),
            FieldError::new("kind", "unknown").at(3),
        ]));
        let problem = err.problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.code, ErrorCode::ValidationFailed);
        assert_eq!(problem.detail, "2 fields are invalid");
        assert_eq!(problem.errors[1].index, Some(3));
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::Domain(DomainError::Internal(anyhow::anyhow!("password=hunter2")));
        let problem = err.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
    }

    #[test]
    fn every_engine_error_has_its_meaning() {
        let cases = [
            (
                EngineError::InvalidParam {
                    name: "neighbours".into(),
                    message: "must be positive".into(),
                },
                ErrorCode::ValidationFailed,
            ),
            (
                EngineError::UnknownParam {
                    name: "bogus".into(),
                    known: "neighbours".into(),
                },
                ErrorCode::ValidationFailed,
            ),
            (
                EngineError::InvalidData("item 9 of 3".into()),
                ErrorCode::ValidationFailed,
            ),
            (EngineError::UnknownItem(7), ErrorCode::ItemUnknownToModel),
            (EngineError::UnknownCustomer(7), ErrorCode::NotFound),
            (
                EngineError::Serialization("eof".into()),
                ErrorCode::InternalError,
            ),
            (
                EngineError::Internal("oops".into()),
                ErrorCode::InternalError,
            ),
        ];
        for (err, code) in cases {
            assert_eq!(engine_error(err.clone()).code(), code, "{err}");
        }
        let DomainError::Invalid(errors) = engine_error(EngineError::InvalidParam {
            name: "neighbours".into(),
            message: "must be positive".into(),
        }) else {
            panic!("not a field error")
        };
        assert_eq!(errors[0].field, "params.neighbours");
    }

    #[test]
    fn an_exhausted_pool_is_503_with_retry_after() {
        let err = ApiError::from(DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        ));
        let response = err.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        assert_eq!(err.code(), ErrorCode::Unavailable);
    }
}
