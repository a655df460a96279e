//! Merchandising rules of the recommendation lists: what each may target,
//! the values each action needs, when a rule is in force and which items it
//! touches.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::DomainError;
use super::enums::RuleAction;
use super::validation::{Checks, MAX_TAG_LENGTH, SHORT_TEXT};

/// The furthest position a pin may name: the longest list served.
pub const MAX_PIN_POSITION: i32 = 100;

/// The largest factor of a boost or bury.
pub const MAX_FACTOR: f64 = 1000.0;

/// What a rule is made of, as a writer gives it (not yet checked).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFields {
    /// 1 to 255 characters.
    pub name: String,
    /// What it does.
    pub action: RuleAction,
    /// The targeted item (a pin needs one).
    pub item_id: Option<Uuid>,
    /// The targeted category.
    pub category: Option<String>,
    /// The targeted tag (normalised as item tags are).
    pub tag: Option<String>,
    /// 1-based position of a pin.
    pub position: Option<i32>,
    /// Factor of a boost or bury, above 1.
    pub factor: Option<f64>,
    /// In force from (always, when absent).
    pub starts_at: Option<DateTime<Utc>>,
    /// In force until, exclusive (forever, when absent).
    pub ends_at: Option<DateTime<Utc>>,
    /// Whether it applies at all; true when absent.
    pub active: Option<bool>,
}

impl RuleFields {
    /// The fields with the tag normalised.
    pub fn normalised(mut self) -> Self {
        self.tag = self.tag.map(|t| t.trim().to_lowercase());
        self.category = self.category.map(|c| c.trim().to_owned());
        self
    }

    /// The rules the fields meet on their own.
    pub fn check(&self) -> Result<(), DomainError> {
        let mut checks = Checks::default();
        checks.text("name", &self.name, SHORT_TEXT);
        let targets = [
            self.item_id.is_some(),
            self.category.is_some(),
            self.tag.is_some(),
        ];
        if targets.iter().filter(|t| **t).count() != 1 {
            checks.fail("item_id", "give exactly one of item_id, category and tag");
        }
        if let Some(category) = &self.category {
            checks.text("category", category, SHORT_TEXT);
        }
        if let Some(tag) = &self.tag {
            checks.text("tag", tag, MAX_TAG_LENGTH);
        }
        match self.action {
            RuleAction::Pin => {
                if self.item_id.is_none() {
                    checks.fail("item_id", "a pin names the item it places");
                }
                match self.position {
                    Some(p) if (1..=MAX_PIN_POSITION).contains(&p) => {}
                    Some(_) => checks.fail(
                        "position",
                        format!("must be between 1 and {MAX_PIN_POSITION}"),
                    ),
                    None => checks.fail("position", "a pin needs the position it places at"),
                }
            }
            RuleAction::Boost | RuleAction::Bury => match self.factor {
                Some(f) if f > 1.0 && f <= MAX_FACTOR => {}
                Some(_) => checks.fail(
                    "factor",
                    format!("must be above 1 and at most {MAX_FACTOR}"),
                ),
                None => checks.fail("factor", "a boost or bury needs a factor"),
            },
            RuleAction::Hide => {}
        }
        if self.action != RuleAction::Pin && self.position.is_some() {
            checks.fail("position", "only a pin has a position");
        }
        if !matches!(self.action, RuleAction::Boost | RuleAction::Bury) && self.factor.is_some() {
            checks.fail("factor", "only a boost or bury has a factor");
        }
        if let (Some(starts), Some(ends)) = (self.starts_at, self.ends_at)
            && ends <= starts
        {
            checks.fail("ends_at", "must be after starts_at");
        }
        checks.finish()
    }
}

/// Parts to change; absent ones are left alone (a target given replaces
/// the whole target; `Some(None)` clears a nullable value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleChanges {
    pub name: Option<String>,
    pub action: Option<RuleAction>,
    pub item_id: Option<Option<Uuid>>,
    pub category: Option<Option<String>>,
    pub tag: Option<Option<String>>,
    pub position: Option<Option<i32>>,
    pub factor: Option<Option<f64>>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub active: Option<bool>,
}

impl RuleChanges {
    /// The fields of `current` with these changes applied.
    pub fn apply(self, current: &RuleRecord) -> RuleFields {
        let c = current.clone();
        RuleFields {
            name: self.name.unwrap_or(c.name),
            action: self.action.unwrap_or(c.action),
            item_id: self.item_id.unwrap_or(c.item_id),
            category: self.category.unwrap_or(c.category),
            tag: self.tag.unwrap_or(c.tag),
            position: self.position.unwrap_or(c.position),
            factor: self.factor.unwrap_or(c.factor),
            starts_at: self.starts_at.unwrap_or(c.starts_at),
            ends_at: self.ends_at.unwrap_or(c.ends_at),
            active: Some(self.active.unwrap_or(c.active)),
        }
    }
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRecord {
    pub id: Uuid,
    pub name: String,
    pub action: RuleAction,
    pub item_id: Option<Uuid>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub position: Option<i32>,
    pub factor: Option<f64>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub active: bool,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RuleRecord {
    /// Whether the rule applies at `now`: active and within its period.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.active
            && self.starts_at.is_none_or(|s| s <= now)
            && self.ends_at.is_none_or(|e| now < e)
    }

    /// Whether the rule targets item `id` of `category` with `tags`.
    pub fn targets(&self, id: &Uuid, category: Option<&str>, tags: &[String]) -> bool {
        self.item_id.as_ref() == Some(id)
            || (self.category.is_some() && self.category.as_deref() == category)
            || self.tag.as_ref().is_some_and(|t| tags.contains(t))
    }

    /// The factor the rule multiplies a targeted item's score by (1 for a
    /// pin or hide).
    pub fn score_factor(&self) -> f64 {
        match (self.action, self.factor) {
            (RuleAction::Boost, Some(f)) => f,
            (RuleAction::Bury, Some(f)) => 1.0 / f,
            _ => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn fields(action: RuleAction) -> RuleFields {
        RuleFields {
            name: "rule".to_owned(),
            action,
            item_id: None,
            category: Some("shoes".to_owned()),
            tag: None,
            position: None,
            factor: None,
            starts_at: None,
            ends_at: None,
            active: None,
        }
    }

    fn refused_fields(f: &RuleFields) -> Vec<String> {
        match f.check() {
            Err(DomainError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_action_needs_its_values_and_no_others() {
        assert!(fields(RuleAction::Hide).check().is_ok());
        assert_eq!(refused_fields(&fields(RuleAction::Boost)), ["factor"]);
        let boost = RuleFields {
            factor: Some(2.0),
            ..fields(RuleAction::Boost)
        };
        assert!(boost.check().is_ok());
        let half = RuleFields {
            factor: Some(0.5),
            ..fields(RuleAction::Bury)
        };
        assert_eq!(refused_fields(&half), ["factor"]);
        let pin = RuleFields {
            position: Some(1),
            ..fields(RuleAction::Pin)
        };
        assert_eq!(refused_fields(&pin), ["item_id"]);
        let pin = RuleFields {
            item_id: Some(Uuid::nil()),
            category: None,
            position: Some(0),
            ..fields(RuleAction::Pin)
        };
        assert_eq!(refused_fields(&pin), ["position"]);
        let two_targets = RuleFields {
            tag: Some("sale".to_owned()),
            ..fields(RuleAction::Hide)
        };
        assert_eq!(refused_fields(&two_targets), ["item_id"]);
        let now = Utc::now();
        let backwards = RuleFields {
            starts_at: Some(now),
            ends_at: Some(now),
            factor: Some(3.0),
            ..fields(RuleAction::Hide)
        };
        assert_eq!(refused_fields(&backwards), ["factor", "ends_at"]);
    }

    #[test]
    fn a_rule_is_in_force_within_its_period_while_active() {
        let now = Utc::now();
        let mut rule = RuleRecord {
            id: Uuid::nil(),
            name: "r".to_owned(),
            action: RuleAction::Bury,
            item_id: None,
            category: None,
            tag: Some("sale".to_owned()),
            position: None,
            factor: Some(4.0),
            starts_at: Some(now - TimeDelta::hours(1)),
            ends_at: Some(now + TimeDelta::hours(1)),
            active: true,
            version: 1,
            created_by: None,
            created_at: now,
            updated_at: now,
        };
        assert!(rule.in_force(now));
        assert!(!rule.in_force(now + TimeDelta::hours(1)));
        assert!(!rule.in_force(now - TimeDelta::hours(2)));
        assert_eq!(rule.score_factor(), 0.25);
        assert!(rule.targets(&Uuid::now_v7(), None, &["sale".to_owned()]));
        assert!(!rule.targets(&Uuid::now_v7(), Some("sale"), &[]));
        rule.active = false;
        assert!(!rule.in_force(now));
    }
}
