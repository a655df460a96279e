//! Optimistic concurrency: `ETag` from a resource's `version`, `If-Match`
//! checked before any change.
//!
//! `If-Match` is optional: without it a write applies to the current version
//! (last writer wins); with it, a stale version gives 412. Either way the
//! update itself is conditional on the version read, so two concurrent
//! writers can never both succeed from the same version.

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, EntityTag};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, dev::Payload};
use serde::Serialize;

use crate::domain::ErrorCode;
pub use crate::domain::IfMatch;
use crate::http::error::ApiError;

/// The strong entity tag of a version.
pub fn entity_tag(version: i32) -> EntityTag {
    EntityTag::new_strong(version.to_string())
}

/// A response with `body`, the `ETag` of `version`, and `Location` when the
/// status is 201.
pub fn versioned(
    status: StatusCode,
    version: i32,
    location: impl FnOnce() -> String,
    body: &impl Serialize,
) -> HttpResponse {
    let mut builder = with_etag(HttpResponse::build(status), version);
    if status == StatusCode::CREATED {
        builder.insert_header((header::LOCATION, location()));
    }
    builder.json(body)
}

/// Adds the `ETag` of `version` to a response.
pub fn with_etag(mut builder: HttpResponseBuilder, version: i32) -> HttpResponseBuilder {
    builder.insert_header(header::ETag(entity_tag(version)));
    builder
}

fn parse(raw: &str) -> Result<IfMatch, ApiError> {
    let raw = raw.trim();
    if raw == "*" {
        return Ok(IfMatch::Any);
    }
    raw.split(',')
        .map(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag.strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .and_then(|t| t.parse::<i32>().ok())
                .ok_or_else(|| ApiError::BadRequest {
                    code: ErrorCode::InvalidHeader,
                    detail: format!(
                        "If-Match must list quoted versions such as \"3\", got `{tag}`"
                    ),
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(IfMatch::Versions)
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch::Absent),
            Some(value) => value
                .to_str()
                .map_err(|_| ApiError::BadRequest {
                    code: ErrorCode::InvalidHeader,
                    detail: "If-Match is not valid ASCII".to_owned(),
                })
                .and_then(parse),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strong_weak_lists_and_star() {
        assert_eq!(parse("\"3\"").unwrap(), IfMatch::Versions(vec![3]));
        assert_eq!(
            parse("W/\"3\", \"4\"").unwrap(),
            IfMatch::Versions(vec![3, 4])
        );
        assert_eq!(parse("*").unwrap(), IfMatch::Any);
        assert!(parse("3").is_err());
        assert!(parse("\"abc\"").is_err());
    }

    #[test]
    fn check_compares_versions() {
        assert!(IfMatch::Absent.check(7).is_ok());
        assert!(IfMatch::Any.check(7).is_ok());
        assert!(IfMatch::Versions(vec![7]).check(7).is_ok());
        assert!(matches!(
            IfMatch::Versions(vec![6]).check(7),
            Err(crate::domain::DomainError::StaleVersion(_))
        ));
    }
}
