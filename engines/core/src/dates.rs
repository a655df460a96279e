//! Parsing of the timestamp formats accepted in imported files.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// A timestamp format, or `Auto` to accept any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// Try unix seconds, then RFC 3339, then `YYYY-MM-DD HH:MM:SS`, then `YYYY-MM-DD`.
    #[default]
    Auto,
    /// Whole unix seconds.
    Unix,
    /// RFC 3339, e.g. `2024-05-01T12:00:00Z`.
    Rfc3339,
    /// `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`, taken as UTC.
    DateTime,
}

impl FromStr for DateFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "unix" => Ok(Self::Unix),
            "rfc3339" => Ok(Self::Rfc3339),
            "datetime" => Ok(Self::DateTime),
            other => Err(format!(
                "unknown date format `{other}` (expected unix, rfc3339, datetime or auto)"
            )),
        }
    }
}

/// Parses `text` as unix seconds in the given format.
pub fn parse_timestamp(text: &str, format: DateFormat) -> Result<i64, String> {
    let t = text.trim();
    let parsed = match format {
        DateFormat::Unix => unix(t),
        DateFormat::Rfc3339 => rfc3339(t),
        DateFormat::DateTime => datetime(t),
        DateFormat::Auto => unix(t).or_else(|| rfc3339(t)).or_else(|| datetime(t)),
    };
    parsed.ok_or_else(|| {
        let expected = match format {
            DateFormat::Unix => "unix seconds",
            DateFormat::Rfc3339 => "an RFC 3339 timestamp",
            DateFormat::DateTime => "YYYY-MM-DD HH:MM:SS or YYYY-MM-DD",
            DateFormat::Auto => "unix seconds, RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD",
        };
        format!("`{t}` is not {expected}")
    })
}

fn unix(t: &str) -> Option<i64> {
    t.parse::<i64>().ok()
}

fn rfc3339(t: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(t).ok().map(|d| d.timestamp())
}

fn datetime(t: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|d| d.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses() {
        assert_eq!(
            parse_timestamp("881250949", DateFormat::Unix),
            Ok(881250949)
        );
        assert_eq!(
            parse_timestamp("2024-05-01T12:00:00+02:00", DateFormat::Rfc3339),
            Ok(1714557600)
        );
        assert_eq!(
            parse_timestamp("2024-05-01 10:00:00", DateFormat::DateTime),
            Ok(1714557600)
        );
        assert_eq!(
            parse_timestamp("1970-01-02", DateFormat::DateTime),
            Ok(86400)
        );
        assert_eq!(parse_timestamp(" 1970-01-02 ", DateFormat::Auto), Ok(86400));
        assert_eq!(
            parse_timestamp("2024-05-01T10:00:00Z", DateFormat::Auto),
            Ok(1714557600)
        );
    }

    #[test]
    fn wrong_formats_are_errors() {
        assert!(parse_timestamp("2024-05-01", DateFormat::Unix).is_err());
        assert!(parse_timestamp("12", DateFormat::Rfc3339).is_err());
        assert!(parse_timestamp("2024-13-01", DateFormat::Auto).is_err());
        assert!(parse_timestamp("", DateFormat::Auto).is_err());
        assert_eq!("rfc3339".parse(), Ok(DateFormat::Rfc3339));
        assert!("iso".parse::<DateFormat>().is_err());
    }
}
