//! Interactions: the fields a writer gives, the rules of one row, and the
//! record as services pass it on.

use chrono::{DateTime, Duration, Utc};
use rapport_satisfaction::{Answer, SurveyType};
use serde::Serialize;
use uuid::Uuid;

use super::enums::InteractionKind;
use super::error::FieldError;
use super::validation::{Checks, LONG_TEXT};

/// Most rows in one batch.
pub const MAX_BATCH: usize = 10_000;
/// Personal fields of an interaction, redacted in the audit log.
pub const PII: &[&str] = &["note", "survey"];
/// Longest basket (order, invoice) id.
pub const MAX_BASKET_ID: usize = 128;
/// Longest survey question.
pub const MAX_QUESTION: usize = 500;

/// A survey answer as given: its type, the score (checked against the
/// type's scale), and optionally the question asked and a free comment.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyFields {
    /// NPS, CSAT or CES.
    pub kind: SurveyType,
    /// The score, not yet checked.
    pub score: i64,
    /// The question asked.
    pub question: Option<String>,
    /// The customer's comment (personal data).
    pub comment: Option<String>,
}

/// A survey answer whose score is on its scale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Survey {
    /// The type and score.
    pub answer: Answer,
    /// The question asked.
    pub question: Option<String>,
    /// The customer's comment.
    pub comment: Option<String>,
}

/// Largest amount an interaction may carry either way (a trillion): far
/// beyond any order, and small enough that sums over millions of rows stay
/// exact to the cent in `f64`.
pub const MAX_VALUE: f64 = 1e12;

/// Who an interaction is about: a customer by id or by external id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomerRef {
    /// By id.
    Id(Uuid),
    /// By external id.
    External(String),
}

/// What an interaction is on: an item by id or by SKU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ItemRef {
    /// By id.
    Id(Uuid),
    /// By SKU.
    Sku(String),
}

/// One interaction as given (not yet validated).
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionFields {
    /// Id of the customer.
    pub customer_id: Option<Uuid>,
    /// External id of the customer.
    pub customer_external_id: Option<String>,
    /// Id of the item.
    pub item_id: Option<Uuid>,
    /// SKU of the item.
    pub item_sku: Option<String>,
    /// What happened.
    pub kind: InteractionKind,
    /// Amount (e.g. purchase value), at most [`MAX_VALUE`] either way.
    pub value: Option<f64>,
    /// 1 to 5.
    pub rating: Option<i16>,
    /// Channel.
    pub channel: Option<String>,
    /// Free note.
    pub note: Option<String>,
    /// When; now when absent.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The order or invoice it belongs to.
    pub basket_id: Option<String>,
    /// The served list (exposure) that led to it, when the client knows;
    /// otherwise attribution finds the latest one.
    pub exposure_id: Option<Uuid>,
    /// The answer, on `survey` interactions.
    pub survey: Option<SurveyFields>,
}

/// An interaction that meets every rule of a row; its references are
/// resolved against the database by the service.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    /// The customer.
    pub customer: CustomerRef,
    /// The item, if any.
    pub item: Option<ItemRef>,
    /// What happened.
    pub kind: InteractionKind,
    /// Amount.
    pub value: Option<f64>,
    /// 1 to 5.
    pub rating: Option<i16>,
    /// Channel.
    pub channel: Option<String>,
    /// Free note.
    pub note: Option<String>,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// The order or invoice it belongs to.
    pub basket_id: Option<String>,
    /// The served list that led to it, as the client said.
    pub exposure_id: Option<Uuid>,
    /// The answer, on `survey` interactions.
    pub survey: Option<Survey>,
}

impl NewInteraction {
    /// Validates one row against the rules, with `now` as the default time
    /// and the bound on future times; errors name their fields.
    pub fn parse(fields: InteractionFields, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut checks = Checks::default();
        let customer = match (fields.customer_id, fields.customer_external_id) {
            (Some(id), None) => Some(CustomerRef::Id(id)),
            (None, Some(external)) => Some(CustomerRef::External(external)),
            _ => {
                checks.fail(
                    "customer_id",
                    "give exactly one of customer_id and customer_external_id",
                );
                None
            }
        };
        let item = match (fields.item_id, fields.item_sku) {
            (Some(_), Some(_)) => {
                checks.fail("item_id", "give at most one of item_id and item_sku");
                None
            }
            (Some(id), None) => Some(ItemRef::Id(id)),
            (None, Some(sku)) => Some(ItemRef::Sku(sku)),
            (None, None) => None,
        };
        if fields
            .value
            .is_some_and(|v| !v.is_finite() || v.abs() > MAX_VALUE)
        {
            checks.fail(
                "value",
                format!("must be a number between -{MAX_VALUE:e} and {MAX_VALUE:e}"),
            );
        }
        if fields.rating.is_some_and(|r| !(1..=5).contains(&r)) {
            checks.fail("rating", "must be between 1 and 5");
        }
        if fields.kind == InteractionKind::Rating && fields.rating.is_none() {
            checks.fail("rating", "is required for kind `rating`");
        }
        checks.opt_text("channel", fields.channel.as_deref(), 50);
        checks.opt_text("note", fields.note.as_deref(), LONG_TEXT);
        checks.opt_text("basket_id", fields.basket_id.as_deref(), MAX_BASKET_ID);
        let survey = match fields.survey {
            Some(_) if fields.kind != InteractionKind::Survey => {
                checks.fail("survey", "is only given on interactions of kind `survey`");
                None
            }
            Some(given) => {
                checks.opt_text("survey.question", given.question.as_deref(), MAX_QUESTION);
                checks.opt_text("survey.comment", given.comment.as_deref(), LONG_TEXT);
                match Answer::new(given.kind, given.score) {
                    Ok(answer) => Some(Survey {
                        answer,
                        question: given.question,
                        comment: given.comment,
                    }),
                    Err(message) => {
                        checks.fail("survey.score", message);
                        None
                    }
                }
            }
            None => None,
        };
        if fields
            .occurred_at
            .is_some_and(|t| t > now + Duration::days(1))
        {
            checks.fail("occurred_at", "must not be more than a day in the future");
        }
        let errors = checks.into_row_errors(0);
        match customer {
            Some(customer) if errors.is_empty() => Ok(Self {
                customer,
                item,
                kind: fields.kind,
                value: fields.value,
                rating: fields.rating,
                channel: fields.channel,
                note: fields.note,
                occurred_at: fields.occurred_at.unwrap_or(now),
                basket_id: fields.basket_id,
                exposure_id: fields.exposure_id,
                survey,
            }),
            _ => Err(errors
                .into_iter()
                .map(|e| FieldError { index: None, ..e })
                .collect()),
        }
    }
}

/// A stored interaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InteractionRecord {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The item, if any.
    pub item_id: Option<Uuid>,
    /// What happened.
    pub kind: InteractionKind,
    /// Amount.
    pub value: Option<f64>,
    /// 1 to 5.
    pub rating: Option<i16>,
    /// Channel.
    pub channel: Option<String>,
    /// Free note.
    pub note: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// The order or invoice it belongs to.
    pub basket_id: Option<String>,
    /// The served list that led to it, as the client said.
    pub exposure_id: Option<Uuid>,
    /// The survey answer, on `survey` interactions.
    pub survey: Option<Survey>,
}

impl InteractionRecord {
    /// The record as a caller without the right to personal data sees it:
    /// the note and the survey comment, free text about the person, left out.
    pub fn masked(self) -> Self {
        let survey = self.survey.map(|s| Survey { comment: None, ..s });
        Self {
            note: None,
            survey,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> InteractionFields {
        InteractionFields {
            customer_id: None,
            customer_external_id: Some("C-1".into()),
            item_id: None,
            item_sku: Some("SKU".into()),
            kind: InteractionKind::Rating,
            value: None,
            rating: None,
            channel: None,
            note: None,
            occurred_at: None,
            basket_id: None,
            exposure_id: None,
            survey: None,
        }
    }

    #[test]
    fn a_rating_needs_its_rating_and_one_customer() {
        let now = Utc::now();
        let mut bad = fields();
        bad.customer_id = Some(Uuid::nil());
        let errors = NewInteraction::parse(bad, now).unwrap_err();
        let names: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["customer_id", "rating"]);
        let mut good = fields();
        good.rating = Some(4);
        let parsed = NewInteraction::parse(good, now).unwrap();
        assert_eq!(parsed.customer, CustomerRef::External("C-1".into()));
        assert_eq!(parsed.occurred_at, now);
    }

    #[test]
    fn survey_answers_are_checked_against_their_scale_and_kind() {
        let now = Utc::now();
        let survey = |kind, score| SurveyFields {
            kind,
            score,
            question: Some("How likely?".into()),
            comment: None,
        };
        let mut answer = fields();
        answer.kind = InteractionKind::Survey;
        answer.survey = Some(survey(SurveyType::Nps, 11));
        let errors = NewInteraction::parse(answer.clone(), now).unwrap_err();
        assert_eq!(errors[0].field, "survey.score");
        assert!(
            errors[0].message.contains("0 to 10"),
            "{}",
            errors[0].message
        );
        answer.survey = Some(survey(SurveyType::Nps, 3));
        let parsed = NewInteraction::parse(answer.clone(), now).unwrap();
        assert_eq!(parsed.survey.unwrap().answer.score(), 3);
        answer.kind = InteractionKind::Purchase;
        let errors = NewInteraction::parse(answer, now).unwrap_err();
        assert_eq!(errors[0].field, "survey");
    }
}
