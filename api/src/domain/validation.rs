//! Field checks shared by the resources: lengths, tags, free-form attributes.
//! Each check records a [`FieldError`] so a request reports every bad field at once.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::domain::{DomainError, FieldError};

/// Longest short text (names, e-mails, codes).
pub const SHORT_TEXT: usize = 255;
/// Longest long text (descriptions, notes).
pub const LONG_TEXT: usize = 10_000;
/// Most tags on one record.
pub const MAX_TAGS: usize = 50;
/// Longest tag.
pub const MAX_TAG_LENGTH: usize = 64;
/// Most attributes on one record.
pub const MAX_ATTRIBUTES: usize = 100;

/// Collects field errors; [`Checks::finish`] turns them into one 422.
#[derive(Default)]
pub struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// Records an error.
    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// A required text of 1 to `max` characters (after trimming).
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.fail(field, "must not be blank");
        } else {
            self.max_len(field, value, max);
        }
    }

    /// An optional text: when present, as [`Checks::text`].
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(value) = value {
            self.text(field, value, max);
        }
    }

    /// At most `max` characters.
    pub fn max_len(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.fail(field, format!("must be at most {max} characters"));
        }
    }

    /// An e-mail address: something@domain, no spaces.
    pub fn email(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            let valid = value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
            }) && !value.chars().any(char::is_whitespace);
            if !valid {
                self.fail(field, "is not an e-mail address");
            } else {
                self.max_len(field, value, SHORT_TEXT);
            }
        }
    }

    /// Tags: at most [`MAX_TAGS`], each 1 to [`MAX_TAG_LENGTH`] characters
    /// without `|`, `%` or `_` wildcards' escape problems (`|` is the index separator).
    pub fn tags(&mut self, field: &str, tags: &[String]) {
        if tags.len() > MAX_TAGS {
            self.fail(field, format!("at most {MAX_TAGS} tags"));
        }
        for (i, tag) in tags.iter().enumerate() {
            let name = format!("{field}[{i}]");
            if tag.trim().is_empty() {
                self.fail(name, "must not be blank");
            } else if tag.contains('|') {
                self.fail(name, "must not contain `|`");
            } else {
                self.max_len(&name, tag, MAX_TAG_LENGTH);
            }
        }
    }

    /// Attributes: a flat object of numbers, strings and booleans.
    pub fn attributes(&mut self, field: &str, attributes: &Map<String, Value>) {
        if attributes.len() > MAX_ATTRIBUTES {
            self.fail(field, format!("at most {MAX_ATTRIBUTES} attributes"));
        }
        for (key, value) in attributes {
            let name = format!("{field}.{key}");
            if key.trim().is_empty() || key.chars().count() > 64 {
                self.fail(name.clone(), "attribute names must be 1 to 64 characters");
            }
            match value {
                Value::Number(_) | Value::Bool(_) => {}
                Value::String(s) => self.max_len(&name, s, 1_000),
                Value::Null => self.fail(name, "must be a number, a string or a boolean, not null"),
                Value::Array(_) | Value::Object(_) => self.fail(
                    name,
                    "must be a number, a string or a boolean; nested values are not allowed",
                ),
            }
        }
    }

    /// Ok when nothing failed, else a 422 listing every error.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.errors))
        }
    }

    /// The errors collected so far, each attributed to batch row `index`.
    pub fn into_row_errors(self, index: usize) -> Vec<FieldError> {
        self.errors.into_iter().map(|e| e.at(index)).collect()
    }
}

/// Tags normalised (trimmed, lower-cased, deduplicated, in first-seen order).
pub fn normalise_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// The `|a|b|` index of normalised tags, searched with `LIKE '%|tag|%'`.
pub fn tag_index(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!("|{}|", tags.join("|"))
    }
}

/// A LIKE pattern matching `needle` anywhere, with `\` escaping wildcards.
pub fn contains_pattern(needle: &str) -> String {
    let mut escaped = String::with_capacity(needle.len() + 2);
    escaped.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// Deserialises a field that may be absent (`None`), null (`Some(None)`) or set,
/// so PATCH can tell "leave alone" from "clear".
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_refuse_nesting_and_null() {
        let mut checks = Checks::default();
        let attrs = json!({"age": 41, "vip": true, "plan": "pro", "bad": {"x": 1}, "list": [1], "nil": null});
        checks.attributes("attributes", attrs.as_object().unwrap());
        let err = checks.finish().unwrap_err();
        let DomainError::Invalid(errors) = err else {
            panic!("expected a validation error")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["attributes.bad", "attributes.list", "attributes.nil"]
        );
    }

    #[test]
    fn tags_are_normalised_and_indexed() {
        let tags = normalise_tags(&[" VIP ".into(), "vip".into(), "churn-risk".into()]);
        assert_eq!(tags, ["vip", "churn-risk"]);
        assert_eq!(tag_index(&tags), "|vip|churn-risk|");
        assert_eq!(tag_index(&[]), "");
        let mut checks = Checks::default();
        checks.tags("tags", &["a|b".into(), " ".into(), "x".repeat(65)]);
        assert!(checks.finish().is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn emails() {
        let mut ok = Checks::default();
        ok.email("email", Some("ada@example.com"));
        ok.email("email", None);
        assert!(ok.finish().is_ok());
        for bad in [
            "ada",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@.com",
        ] {
            let mut checks = Checks::default();
            checks.email("email", Some(bad));
            assert!(checks.finish().is_err(), "{bad} accepted");
        }
    }
}
