//! OpenAPI schemas of the domain's string enums. The domain knows nothing
//! of utoipa, so each enum's schema is built here from [`StringEnum`]: a
//! named component listing every spelling.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{
    DeliveryStatus, ErrorCode, EventType, InstanceStatus, InteractionKind, JobStatus,
    LifecycleStage, Role, RuleAction, StringEnum,
};

/// The schema of a string enum: `type: string` with its values.
pub fn string_enum_schema<T: StringEnum>() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .description(Some(T::DESCRIPTION.trim()))
        .enum_values(Some(T::ALL.iter().map(|v| v.as_str())))
        .into()
}

macro_rules! enum_schemas {
    ($($name:ident),+ $(,)?) => {
        $(
            impl PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    string_enum_schema::<$name>()
                }
            }

            impl ToSchema for $name {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed(<$name as StringEnum>::NAME)
                }
            }
        )+
    };
}

enum_schemas!(
    LifecycleStage,
    InteractionKind,
    JobStatus,
    InstanceStatus,
    DeliveryStatus,
    Role,
    EventType,
    ErrorCode,
    RuleAction,
);

/// The OpenAPI shape of [`crate::domain::automation::Trigger`] (the domain
/// type has no schema of its own); a test checks both serialise alike.
#[derive(serde::Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[schema(as = Trigger)]
#[allow(dead_code)]
pub enum TriggerDoc {
    /// An interaction of `kind` is recorded, with a rating of at most
    /// `max_rating` when that is given.
    Interaction {
        kind: InteractionKind,
        max_rating: Option<i16>,
    },
    /// A customer's score rises to or above `threshold` (from below, or on
    /// its first evaluation), from `model_id` or from any model.
    Score {
        model_id: Option<uuid::Uuid>,
        threshold: f64,
    },
    /// A customer's lifecycle stage changes to `to` (from `from`, when given).
    LifecycleStage {
        from: Option<LifecycleStage>,
        to: LifecycleStage,
    },
    /// A customer enters segment `segment_id` of the active segmentation.
    SegmentEntered { segment_id: i32 },
    /// A survey answer is a detractor's (NPS 0 to 6, CSAT 1 or 2).
    Detractor {},
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automation::Trigger;

    #[test]
    fn the_trigger_schema_serialises_as_the_trigger() {
        let id = uuid::Uuid::nil();
        let pairs = [
            (
                serde_json::to_value(Trigger::Score {
                    model_id: Some(id),
                    threshold: 0.5,
                }),
                serde_json::to_value(TriggerDoc::Score {
                    model_id: Some(id),
                    threshold: 0.5,
                }),
            ),
            (
                serde_json::to_value(Trigger::Interaction {
                    kind: InteractionKind::SupportTicket,
                    max_rating: None,
                }),
                serde_json::to_value(TriggerDoc::Interaction {
                    kind: InteractionKind::SupportTicket,
                    max_rating: None,
                }),
            ),
            (
                serde_json::to_value(Trigger::LifecycleStage {
                    from: None,
                    to: LifecycleStage::Churned,
                }),
                serde_json::to_value(TriggerDoc::LifecycleStage {
                    from: None,
                    to: LifecycleStage::Churned,
                }),
            ),
            (
                serde_json::to_value(Trigger::SegmentEntered { segment_id: 3 }),
                serde_json::to_value(TriggerDoc::SegmentEntered { segment_id: 3 }),
            ),
            (
                serde_json::to_value(Trigger::Detractor {}),
                serde_json::to_value(TriggerDoc::Detractor {}),
            ),
        ];
        for (domain, doc) in pairs {
            assert_eq!(domain.unwrap(), doc.unwrap());
        }
    }
}
