//! Optimistic concurrency: `ETag` from a resource's `version`, `If-Match`
//! checked before any change.
//!
//! `If-Match` is optional: without it a write applies to the current version
//! (last writer wins); with it, a stale version gives 412. Either way the
//! update itself is conditional on the version read, so two concurrent
//! writers can never both succeed from the same version.

use std::future::{Ready, ready};

use actix_web::http::header::{self, EntityTag};
use actix_web::{FromRequest, HttpRequest, HttpResponseBuilder, dev::Payload};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::ApiError;

/// The strong entity tag of a version.
pub fn entity_tag(version: i32) -> EntityTag {
    EntityTag::new_strong(version.to_string())
}

/// Adds the `ETag` of `version` to a response.
pub fn with_etag(mut builder: HttpResponseBuilder, version: i32) -> HttpResponseBuilder {
    builder.insert_header(header::ETag(entity_tag(version)));
    builder
}

/// The parsed `If-Match` header of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum IfMatch {
    /// No header: no precondition.
    Absent,
    /// `If-Match: *`.
    Any,
    /// The versions listed.
    Versions(Vec<i32>),
}

impl IfMatch {
    /// Fails with 412 when `current` is not among the versions asked for.
    pub fn check(&self, current: i32) -> Result<(), ApiError> {
        match self {
            Self::Absent | Self::Any => Ok(()),
            Self::Versions(versions) if versions.contains(&current) => Ok(()),
            Self::Versions(_) => Err(ApiError::PreconditionFailed(format!(
                "If-Match does not match the current version \"{current}\""
            ))),
        }
    }

    fn parse(raw: &str) -> Result<Self, ApiError> {
        let raw = raw.trim();
        if raw == "*" {
            return Ok(Self::Any);
        }
        raw.split(',')
            .map(|tag| {
                let tag = tag.trim();
                let tag = tag.strip_prefix("W/").unwrap_or(tag);
                tag.strip_prefix('"')
                    .and_then(|t| t.strip_suffix('"'))
                    .and_then(|t| t.parse::<i32>().ok())
                    .ok_or_else(|| ApiError::BadRequest {
                        code: "invalid_header",
                        detail: format!(
                            "If-Match must list quoted versions such as \"3\", got `{tag}`"
                        ),
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self::Versions)
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(Self::Absent),
            Some(value) => value
                .to_str()
                .map_err(|_| ApiError::BadRequest {
                    code: "invalid_header",
                    detail: "If-Match is not valid ASCII".to_owned(),
                })
                .and_then(Self::parse),
        })
    }
}

/// Applies `changes` to the row `id` only if its version is still `read_version`
/// (the caller sets the new version in `changes`); a concurrent writer that got
/// there first makes this fail with 412.
pub async fn update_if_version<E, C>(
    db: &C,
    changes: E::ActiveModel,
    (id_column, id): (E::Column, uuid::Uuid),
    (version_column, read_version): (E::Column, i32),
) -> Result<(), ApiError>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let result = E::update_many()
        .set(changes)
        .filter(id_column.eq(id))
        .filter(version_column.eq(read_version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(
            "the record was changed by another request; fetch it again".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strong_weak_lists_and_star() {
        assert_eq!(IfMatch::parse("\"3\"").unwrap(), IfMatch::Versions(vec![3]));
        assert_eq!(
            IfMatch::parse("W/\"3\", \"4\"").unwrap(),
            IfMatch::Versions(vec![3, 4])
        );
        assert_eq!(IfMatch::parse("*").unwrap(), IfMatch::Any);
        assert!(IfMatch::parse("3").is_err());
        assert!(IfMatch::parse("\"abc\"").is_err());
    }

    #[test]
    fn check_compares_versions() {
        assert!(IfMatch::Absent.check(7).is_ok());
        assert!(IfMatch::Any.check(7).is_ok());
        assert!(IfMatch::Versions(vec![7]).check(7).is_ok());
        assert!(matches!(
            IfMatch::Versions(vec![6]).check(7),
            Err(ApiError::PreconditionFailed(_))
        ));
    }
}
