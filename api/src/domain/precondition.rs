//! Optimistic concurrency: the versions a writer expects. Without one a
//! write applies to the current version; with one, a stale version is
//! refused. Either way the update itself is conditional on the version read.

use super::error::DomainError;

/// The versions a writer expects a record to be at (`If-Match`).
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
    pub fn check(&self, current: i32) -> Result<(), DomainError> {
        match self {
            Self::Absent | Self::Any => Ok(()),
            Self::Versions(versions) if versions.contains(&current) => Ok(()),
            Self::Versions(_) => Err(DomainError::StaleVersion(format!(
                "If-Match does not match the current version \"{current}\""
            ))),
        }
    }
}
