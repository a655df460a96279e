//! Customers: the fields a writer gives, the rules they must meet, how a
//! change merges into a record, and the record as services pass it on
//! (audit snapshots, webhook payloads, responses).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::enums::LifecycleStage;
use super::error::DomainError;
use super::validation::{Checks, SHORT_TEXT, normalise_tags};

/// Personal fields, redacted in the audit log and removed by erasure.
pub const PII: &[&str] = &["name", "email", "phone", "company", "external_id"];

/// Every writable field of a customer, as given (not yet validated).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFields {
    /// Full name or account name.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Unique id in another system.
    pub external_id: Option<String>,
    /// Free segment label.
    pub segment: Option<String>,
    /// Lifecycle stage; `lead` when absent.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// The owning user.
    pub owner_id: Option<Uuid>,
    /// Tags.
    pub tags: Vec<String>,
    /// Flat object of numbers, strings and booleans.
    pub attributes: Map<String, Value>,
}

/// A customer that meets every rule: what services write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomer(CustomerFields);

impl TryFrom<CustomerFields> for NewCustomer {
    type Error = DomainError;

    fn try_from(mut fields: CustomerFields) -> Result<Self, DomainError> {
        let mut checks = Checks::default();
        checks.text("name", &fields.name, SHORT_TEXT);
        checks.email("email", fields.email.as_deref());
        checks.opt_text("phone", fields.phone.as_deref(), 50);
        checks.opt_text("company", fields.company.as_deref(), SHORT_TEXT);
        checks.opt_text("external_id", fields.external_id.as_deref(), SHORT_TEXT);
        checks.opt_text("segment", fields.segment.as_deref(), 100);
        checks.tags("tags", &fields.tags);
        checks.attributes("attributes", &fields.attributes);
        checks.finish()?;
        fields.tags = normalise_tags(&fields.tags);
        fields.lifecycle_stage = Some(fields.lifecycle_stage.unwrap_or(LifecycleStage::Lead));
        Ok(Self(fields))
    }
}

impl NewCustomer {
    /// The validated fields.
    pub fn fields(&self) -> &CustomerFields {
        &self.0
    }

    /// The stage, defaulted to `lead`.
    pub fn lifecycle_stage(&self) -> LifecycleStage {
        self.0.lifecycle_stage.unwrap_or(LifecycleStage::Lead)
    }
}

/// Fields to change: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerChanges {
    /// New name.
    pub name: Option<String>,
    /// New or cleared e-mail.
    pub email: Option<Option<String>>,
    /// New or cleared phone.
    pub phone: Option<Option<String>>,
    /// New or cleared company.
    pub company: Option<Option<String>>,
    /// New or cleared external id.
    pub external_id: Option<Option<String>>,
    /// New or cleared segment.
    pub segment: Option<Option<String>>,
    /// New stage.
    pub lifecycle_stage: Option<LifecycleStage>,
    /// New or cleared owner.
    pub owner_id: Option<Option<Uuid>>,
    /// Replacement tags.
    pub tags: Option<Vec<String>>,
    /// Replacement attributes.
    pub attributes: Option<Map<String, Value>>,
}

impl CustomerChanges {
    /// The fields of `current` with these changes applied.
    pub fn apply(self, current: &CustomerRecord) -> CustomerFields {
        CustomerFields {
            name: self.name.unwrap_or_else(|| current.name.clone()),
            email: self.email.unwrap_or_else(|| current.email.clone()),
            phone: self.phone.unwrap_or_else(|| current.phone.clone()),
            company: self.company.unwrap_or_else(|| current.company.clone()),
            external_id: self
                .external_id
                .unwrap_or_else(|| current.external_id.clone()),
            segment: self.segment.unwrap_or_else(|| current.segment.clone()),
            lifecycle_stage: Some(self.lifecycle_stage.unwrap_or(current.lifecycle_stage)),
            owner_id: self.owner_id.unwrap_or(current.owner_id),
            tags: self.tags.unwrap_or_else(|| current.tags.clone()),
            attributes: self
                .attributes
                .unwrap_or_else(|| current.attributes.clone()),
        }
    }
}

/// A stored customer, with its stored values parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRecord {
    /// Id.
    pub id: Uuid,
    /// Unique id in another system.
    pub external_id: Option<String>,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Segment label.
    pub segment: Option<String>,
    /// Segment of the active segmentation model.
    pub segment_id: Option<i32>,
    /// Stage.
    pub lifecycle_stage: LifecycleStage,
    /// Owning user.
    pub owner_id: Option<Uuid>,
    /// Tags.
    pub tags: Vec<String>,
    /// Attributes.
    pub attributes: Map<String, Value>,
    /// Incremented on every change.
    pub version: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl CustomerRecord {
    /// The record as a caller without the right to personal data sees it:
    /// every field of [`PII`] masked or withheld.
    pub fn masked(self) -> Self {
        use super::masking;
        Self {
            name: masking::mask_name(&self.name),
            email: self.email.as_deref().map(masking::mask_email),
            phone: self.phone.as_deref().map(masking::mask_phone),
            company: masking::withhold(self.company),
            external_id: masking::withhold(self.external_id),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> CustomerFields {
        CustomerFields {
            name: "Ada".into(),
            email: Some("ada@example.com".into()),
            phone: None,
            company: None,
            external_id: Some("A-1".into()),
            segment: None,
            lifecycle_stage: None,
            owner_id: None,
            tags: vec![" VIP ".into(), "vip".into()],
            attributes: Map::new(),
        }
    }

    #[test]
    fn valid_fields_are_normalised() {
        let customer = NewCustomer::try_from(fields()).unwrap();
        assert_eq!(customer.fields().tags, ["vip"]);
        assert_eq!(customer.lifecycle_stage(), LifecycleStage::Lead);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut bad = fields();
        bad.name = " ".into();
        bad.email = Some("nope".into());
        let Err(DomainError::Invalid(errors)) = NewCustomer::try_from(bad) else {
            panic!("accepted")
        };
        let names: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["name", "email"]);
    }
}
