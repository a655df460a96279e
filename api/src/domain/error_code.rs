//! The closed set of machine codes a problem document can carry, each with
//! its HTTP status and title. `ErrorCode` is the only way a problem gets a
//! `code`, and the OpenAPI document lists it as an enum.

use super::enums::{StringEnum, UnknownValue, string_enum};
use std::fmt;

string_enum! {
    /// A stable machine-readable error code.
    ErrorCode {
        /// Some fields are invalid; `errors` lists them.
        ValidationFailed = "validation_failed",
        /// The body is not valid JSON, or not of the expected shape.
        MalformedJson = "malformed_json",
        /// A query parameter has a bad value.
        InvalidQuery = "invalid_query",
        /// A header has a bad value.
        InvalidHeader = "invalid_header",
        /// A pagination cursor is malformed or belongs to another listing.
        InvalidCursor = "invalid_cursor",
        /// No or bad credentials.
        Unauthorized = "unauthorized",
        /// The caller may not do this.
        Forbidden = "forbidden",
        /// The user signed in with a one-time password and must change it
        /// (`POST /me/password`) before anything else.
        PasswordChangeRequired = "password_change_required",
        /// The resource does not exist.
        NotFound = "not_found",
        /// The path exists, but not for this method.
        MethodNotAllowed = "method_not_allowed",
        /// The request conflicts with the current state.
        Conflict = "conflict",
        /// Another write changed the record first.
        VersionConflict = "version_conflict",
        /// The e-mail address belongs to another user.
        EmailTaken = "email_taken",
        /// The change would leave no active admin.
        LastAdmin = "last_admin",
        /// The customer was deleted.
        Deleted = "deleted",
        /// The customer's personal data was erased.
        Erased = "erased",
        /// The item has interactions and cannot be deleted.
        ItemInUse = "item_in_use",
        /// The workflow is already open for this customer.
        WorkflowAlreadyOpen = "workflow_already_open",
        /// The workflow definition has no such transition.
        InvalidTransition = "invalid_transition",
        /// The engine has no active model.
        NoActiveModel = "no_active_model",
        /// The item is not in the active model's catalogue.
        ItemUnknownToModel = "item_unknown_to_model",
        /// The model's engine exports no rules (only `tree` does).
        NoRules = "no_rules",
        /// Another experiment runs on the same placement in the same period.
        ExperimentOverlap = "experiment_overlap",
        /// The idempotency key is being used by a request still in flight.
        IdempotencyKeyInUse = "idempotency_key_in_use",
        /// `If-Match` does not carry the current version.
        PreconditionFailed = "precondition_failed",
        /// The body is larger than the configured limit.
        PayloadTooLarge = "payload_too_large",
        /// The body is not JSON.
        UnsupportedMediaType = "unsupported_media_type",
        /// The idempotency key was used with another body.
        IdempotencyKeyReused = "idempotency_key_reused",
        /// The customer lacks what the model needs to score them.
        Unscorable = "unscorable",
        /// Too many attempts; retry later.
        RateLimited = "rate_limited",
        /// A dependency (the database) is unavailable or saturated; retry later.
        Unavailable = "unavailable",
        /// Something broke on our side; the cause is logged, never shown.
        InternalError = "internal_error",
    }
}

impl ErrorCode {
    /// The HTTP status of a problem with this code.
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedJson
            | Self::InvalidQuery
            | Self::InvalidHeader
            | Self::InvalidCursor => 400,
            Self::Unauthorized => 401,
            Self::Forbidden | Self::PasswordChangeRequired => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict
            | Self::VersionConflict
            | Self::EmailTaken
            | Self::LastAdmin
            | Self::Deleted
            | Self::Erased
            | Self::ItemInUse
            | Self::WorkflowAlreadyOpen
            | Self::InvalidTransition
            | Self::NoActiveModel
            | Self::ItemUnknownToModel
            | Self::NoRules
            | Self::ExperimentOverlap
            | Self::IdempotencyKeyInUse => 409,
            Self::PreconditionFailed => 412,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::ValidationFailed | Self::IdempotencyKeyReused | Self::Unscorable => 422,
            Self::RateLimited => 429,
            Self::InternalError => 500,
            Self::Unavailable => 503,
        }
    }

    /// The problem's `title`: the status' reason phrase.
    pub fn title(self) -> &'static str {
        match self.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            412 => "Precondition Failed",
            413 => "Payload Too Large",
            415 => "Unsupported Media Type",
            422 => "Unprocessable Entity",
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        }
    }

    /// The problem's `type` URI.
    pub fn type_uri(self) -> String {
        format!("https://rapport.dev/problems/{}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_error_status_and_a_title_of_its_status() {
        for code in ErrorCode::ALL {
            let status = code.status();
            assert!((400..600).contains(&status), "{code}: {status}");
            let expected = match status {
                500 => "Internal Server Error",
                _ => code.title(),
            };
            assert_ne!(expected, "", "{code}");
            if status != 500 {
                assert_ne!(code.title(), "Internal Server Error", "{code}: {status}");
            }
        }
    }
}

/// The table of every code for README.md's "Integrating" section: code,
/// status, title and meaning, in declaration order.
pub fn markdown_table() -> String {
    let mut table = String::from("| code | status | title | meaning |\n|---|---|---|---|\n");
    for code in ErrorCode::ALL {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            code.as_str(),
            code.status(),
            code.title(),
            code.meaning()
        ));
    }
    table
}

#[cfg(test)]
mod readme_tests {
    /// README.md's table of error codes is the one the enum makes.
    #[test]
    fn the_readme_lists_every_error_code() {
        let readme = include_str!("../../../README.md");
        let start = "<!-- error codes: generated from ErrorCode -->\n";
        let end = "<!-- end of error codes -->";
        let from = readme.find(start).map(|i| i + start.len());
        let to = readme.find(end);
        let (Some(from), Some(to)) = (from, to) else {
            panic!(
                "README.md lacks the error code markers; put this between them:\n{}",
                super::markdown_table()
            )
        };
        assert_eq!(
            &readme[from..to],
            super::markdown_table(),
            "README.md's error codes differ from ErrorCode; replace them with the right side"
        );
    }
}
