//! Webhook endpoints: what a writer gives, what a change is, what is stored.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::enums::{EventType, StringEnum};
use super::validation::{Checks, LONG_TEXT};

/// A webhook as a writer gives it (not yet checked).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookFields {
    /// The http(s) URL events are posted to.
    pub url: String,
    /// Event types to receive, as given (checked against [`EventType`]).
    pub events: Vec<String>,
    /// What the endpoint is for.
    pub description: Option<String>,
    /// Whether it receives events; true when absent.
    pub active: Option<bool>,
}

impl WebhookFields {
    /// The rules the fields meet on their own, with the event types parsed,
    /// sorted and deduplicated (the URL's reachability is checked by the
    /// service, which may resolve it).
    pub fn check(&self, checks: &mut Checks) -> Vec<EventType> {
        checks.opt_text("description", self.description.as_deref(), LONG_TEXT);
        if self.events.is_empty() || self.events.len() > EventType::ALL.len() {
            checks.fail("events", "give 1 or more event types");
        }
        let mut events = Vec::with_capacity(self.events.len());
        for (i, event) in self.events.iter().enumerate() {
            match EventType::parse(event) {
                Ok(event) => events.push(event),
                Err(unknown) => checks.fail(format!("events[{i}]"), unknown.to_string()),
            }
        }
        events.sort();
        events.dedup();
        events
    }
}

/// Fields to change; absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookChanges {
    /// A new URL.
    pub url: Option<String>,
    /// New event types.
    pub events: Option<Vec<String>>,
    /// A new description.
    pub description: Option<String>,
    /// Turned on or off.
    pub active: Option<bool>,
}

impl WebhookChanges {
    /// The fields of `current` with these changes applied.
    pub fn apply(self, current: &WebhookRecord) -> WebhookFields {
        WebhookFields {
            url: self.url.unwrap_or_else(|| current.url.clone()),
            events: self.events.unwrap_or_else(|| {
                current
                    .events
                    .iter()
                    .map(|e| e.as_str().to_owned())
                    .collect()
            }),
            description: self.description.or_else(|| current.description.clone()),
            active: Some(self.active.unwrap_or(current.active)),
        }
    }
}

/// A stored webhook (never its secret).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WebhookRecord {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<EventType>,
    pub description: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A webhook just created, with the signing secret shown this once.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    /// The stored webhook.
    pub record: WebhookRecord,
    /// `whsec_...`, to verify the `webhook-signature` header with.
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DomainError;

    #[test]
    fn event_types_are_parsed_sorted_and_deduplicated() {
        let fields = WebhookFields {
            url: "https://example.com/hook".to_owned(),
            events: vec![
                "interaction.created".to_owned(),
                "customer.created".to_owned(),
                "interaction.created".to_owned(),
            ],
            description: None,
            active: None,
        };
        let mut checks = Checks::default();
        let events = fields.check(&mut checks);
        assert!(checks.finish().is_ok());
        assert_eq!(
            events,
            [EventType::CustomerCreated, EventType::InteractionCreated]
        );
    }

    #[test]
    fn unknown_and_missing_event_types_are_field_errors() {
        let mut fields = WebhookFields {
            url: "https://example.com/hook".to_owned(),
            events: vec!["customer.created".to_owned(), "nope".to_owned()],
            description: None,
            active: None,
        };
        let mut checks = Checks::default();
        fields.check(&mut checks);
        let DomainError::Invalid(errors) = checks.finish().unwrap_err() else {
            panic!("not a validation error")
        };
        assert_eq!(errors[0].field, "events[1]");
        fields.events.clear();
        let mut checks = Checks::default();
        fields.check(&mut checks);
        assert!(checks.finish().is_err());
    }
}
