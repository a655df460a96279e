//! A/B experiments between recommendation models: the arms and their
//! weights, the placement split, the period, and which experiments would run
//! at the same time on the same placement.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::DomainError;
use super::validation::{Checks, SHORT_TEXT};

/// Most arms of one experiment.
pub const MAX_ARMS: usize = 10;

/// Longest key and placement.
pub const MAX_KEY: usize = 64;

/// One arm: which model serves its customers, and its share of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmSpec {
    /// Unique within the experiment.
    pub name: String,
    /// The recommender serving the arm.
    pub engine: String,
    /// A model of that engine; none: its active model.
    pub model_id: Option<Uuid>,
    /// Relative share of the customers (above 0).
    pub weight: f64,
}

/// What an experiment is made of, as a writer gives it (not yet checked).
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentFields {
    pub key: String,
    pub name: String,
    pub arms: Vec<ArmSpec>,
    /// The placement it splits; none: every placement.
    pub placement: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// Whether `key` is a slug: lower-case letters, digits, `-` and `_`.
fn is_slug(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

impl ExperimentFields {
    /// The rules the fields meet on their own (engines and models are
    /// checked against the registry and the store by the service).
    pub fn check(&self) -> Result<(), DomainError> {
        let mut checks = Checks::default();
        if !is_slug(&self.key) {
            checks.fail(
                "key",
                format!("1 to {MAX_KEY} lower-case letters, digits, `-` or `_`"),
            );
        }
        checks.text("name", &self.name, SHORT_TEXT);
        if let Some(placement) = &self.placement {
            checks.text("placement", placement, MAX_KEY);
        }
        if !(2..=MAX_ARMS).contains(&self.arms.len()) {
            checks.fail("arms", format!("give 2 to {MAX_ARMS} arms"));
        }
        for (i, arm) in self.arms.iter().enumerate() {
            checks.text(&format!("arms[{i}].name"), &arm.name, MAX_KEY);
            if self.arms[..i].iter().any(|a| a.name == arm.name) {
                checks.fail(format!("arms[{i}].name"), "arm names must differ");
            }
            if !(arm.weight.is_finite() && arm.weight > 0.0) {
                checks.fail(format!("arms[{i}].weight"), "must be above 0");
            }
        }
        if let Some(ends) = self.ends_at
            && ends <= self.starts_at
        {
            checks.fail("ends_at", "must be after starts_at");
        }
        checks.finish()
    }
}

/// A stored experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentRecord {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub arms: Vec<ArmSpec>,
    pub placement: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was stopped before its end.
    pub stopped_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ExperimentRecord {
    /// When it stops splitting: the earlier of its stop and its end.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match (self.stopped_at, self.ends_at) {
            (Some(s), Some(e)) => Some(s.min(e)),
            (s, e) => s.or(e),
        }
    }

    /// `scheduled`, `running` or `ended` at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if now < self.starts_at {
            "scheduled"
        } else if self.until().is_some_and(|u| u <= now) {
            "ended"
        } else {
            "running"
        }
    }

    /// Whether it splits the lists of `placement` at `now`.
    pub fn splits(&self, placement: &str, now: DateTime<Utc>) -> bool {
        self.status(now) == "running" && self.placement.as_deref().is_none_or(|p| p == placement)
    }

    /// Whether it and an experiment on `placement` from `starts_at` to
    /// `ends_at` would split the same lists at some time.
    pub fn overlaps(
        &self,
        placement: Option<&str>,
        starts_at: DateTime<Utc>,
        ends_at: Option<DateTime<Utc>>,
    ) -> bool {
        let same_lists = match (self.placement.as_deref(), placement) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let begins_before_other_ends = ends_at.is_none_or(|e| self.starts_at < e);
        let other_begins_before_end = self.until().is_none_or(|u| starts_at < u);
        same_lists && begins_before_other_ends && other_begins_before_end
    }

    /// The weights of the arms, in order.
    pub fn weights(&self) -> Vec<f64> {
        self.arms.iter().map(|a| a.weight).collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn arm(name: &str, weight: f64) -> ArmSpec {
        ArmSpec {
            name: name.to_owned(),
            engine: "item_item".to_owned(),
            model_id: None,
            weight,
        }
    }

    fn record(placement: Option<&str>, starts: i64, ends: Option<i64>) -> ExperimentRecord {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        ExperimentRecord {
            id: Uuid::nil(),
            key: "k".to_owned(),
            name: "n".to_owned(),
            arms: vec![arm("a", 1.0), arm("b", 1.0)],
            placement: placement.map(str::to_owned),
            starts_at: t0 + TimeDelta::days(starts),
            ends_at: ends.map(|e| t0 + TimeDelta::days(e)),
            stopped_at: None,
            version: 1,
            created_by: None,
            created_at: t0,
            updated_at: t0,
        }
    }

    #[test]
    fn fields_are_checked() {
        let fields = ExperimentFields {
            key: "Bad Key".to_owned(),
            name: "x".to_owned(),
            arms: vec![arm("a", 1.0), arm("a", 0.0)],
            placement: None,
            starts_at: Utc::now(),
            ends_at: Some(Utc::now() - TimeDelta::days(1)),
        };
        let Err(DomainError::Invalid(errors)) = fields.check() else {
            panic!("accepted");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["key", "arms[1].name", "arms[1].weight", "ends_at"]);
    }

    #[test]
    fn overlap_needs_the_same_lists_at_the_same_time() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let day = |d| t0 + TimeDelta::days(d);
        let email = record(Some("email"), 10, Some(20));
        assert!(email.overlaps(Some("email"), day(15), None));
        assert!(!email.overlaps(Some("homepage"), day(15), None));
        assert!(email.overlaps(None, day(0), Some(day(11))));
        assert!(!email.overlaps(Some("email"), day(20), None));
        assert!(!email.overlaps(Some("email"), day(0), Some(day(10))));
        let mut stopped = email.clone();
        stopped.stopped_at = Some(day(12));
        assert!(!stopped.overlaps(Some("email"), day(13), None));
        assert_eq!(stopped.status(day(13)), "ended");
        assert_eq!(email.status(day(13)), "running");
        assert_eq!(email.status(day(5)), "scheduled");
        assert!(email.splits("email", day(13)) && !email.splits("api", day(13)));
    }
}
