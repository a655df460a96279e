//! The closed sets of values the product stores and sends as text: each is
//! a Rust enum with one spelling per variant, parsed with a checked
//! conversion wherever text comes in (a request, a CSV row, a database
//! column), so an unknown value is an error, never a silent default.

use std::fmt;

/// What every string enum of the domain provides (the HTTP layer builds
/// their OpenAPI schemas from it, the storage layer their checked parsing).
pub trait StringEnum: Sized + Copy + 'static {
    /// The type's name in messages and in the OpenAPI document.
    const NAME: &'static str;
    /// One line describing the type.
    const DESCRIPTION: &'static str;
    /// Every value, in declaration order.
    const ALL: &'static [Self];
    /// The value's spelling as stored and sent.
    fn as_str(self) -> &'static str;

    /// The value spelled `raw`.
    fn parse(raw: &str) -> Result<Self, UnknownValue> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == raw)
            .ok_or_else(|| UnknownValue {
                type_name: Self::NAME,
                value: raw.to_owned(),
                known: Self::ALL.iter().map(|v| v.as_str()).collect(),
            })
    }
}

/// A text that names no value of a [`StringEnum`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {type_name} `{value}` (one of {})", known.join(", "))]
pub struct UnknownValue {
    /// The enum's name.
    pub type_name: &'static str,
    /// The text given.
    pub value: String,
    /// The accepted spellings.
    pub known: Vec<&'static str>,
}

/// Declares a string enum: the type, its serde spelling, [`StringEnum`],
/// `Display` and `FromStr`.
macro_rules! string_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[doc = $vdoc:literal])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[doc = $vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl StringEnum for $name {
            const NAME: &'static str = stringify!($name);
            const DESCRIPTION: &'static str = concat!($($doc),*);
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = <Self as StringEnum>::ALL;

            /// The value's spelling as stored and sent.
            pub fn as_str(self) -> &'static str {
                StringEnum::as_str(self)
            }

            /// What the value means (its doc comment; empty when it has none).
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Self::$variant => concat!("", $($vdoc),*).trim()),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(raw: &str) -> Result<Self, UnknownValue> {
                <Self as StringEnum>::parse(raw)
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// Where a customer is in the lifecycle.
    LifecycleStage {
        Lead = "lead",
        Prospect = "prospect",
        Customer = "customer",
        Churned = "churned",
    }
}

string_enum! {
    /// What happened between a customer and the business.
    InteractionKind {
        View = "view",
        Click = "click",
        Cart = "cart",
        Purchase = "purchase",
        Rating = "rating",
        Return = "return",
        SupportTicket = "support_ticket",
        Email = "email",
        Call = "call",
        Meeting = "meeting",
        Survey = "survey",
        /// The customer does not want this item recommended again.
        NotInterested = "not_interested",
    }
}

string_enum! {
    /// What a merchandising rule does to the items it targets.
    RuleAction {
        /// Puts one item at a fixed position of every list it may appear in.
        Pin = "pin",
        /// Multiplies the targeted items' scores by the factor.
        Boost = "boost",
        /// Divides the targeted items' scores by the factor.
        Bury = "bury",
        /// Leaves the targeted items out.
        Hide = "hide",
    }
}

string_enum! {
    /// Where a training job is.
    JobStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

string_enum! {
    /// Where a workflow instance is.
    InstanceStatus {
        Open = "open",
        Completed = "completed",
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// Where a webhook delivery is.
    DeliveryStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

string_enum! {
    /// A user's role (what it may do is the policy table of `crate::policy`).
    Role {
        Admin = "admin",
        Manager = "manager",
        Sales = "sales",
        Marketing = "marketing",
        Support = "support",
        Analyst = "analyst",
        Integration = "integration",
    }
}

string_enum! {
    /// An event delivered to webhooks (and written to the outbox).
    EventType {
        CustomerCreated = "customer.created",
        CustomerUpdated = "customer.updated",
        CustomerErased = "customer.erased",
        InteractionCreated = "interaction.created",
        ImportCompleted = "import.completed",
        WorkflowStarted = "workflow.started",
        WorkflowTransitioned = "workflow.transitioned",
        WorkflowAssigned = "workflow.assigned",
        WorkflowCommented = "workflow.commented",
        WorkflowCancelled = "workflow.cancelled",
        WorkflowSlaBreached = "workflow.sla_breached",
        AutomationFired = "automation.fired",
        ModelActivated = "model.activated",
        CustomerSegmentChanged = "customer.segment_changed",
        SurveyAnswered = "survey.answered",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_through_text_and_json() {
        for stage in LifecycleStage::ALL {
            assert_eq!(stage.as_str().parse::<LifecycleStage>(), Ok(*stage));
            let json = serde_json::to_string(stage).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", stage.as_str()));
        }
        assert_eq!(
            "support_ticket".parse::<InteractionKind>(),
            Ok(InteractionKind::SupportTicket)
        );
        assert_eq!(EventType::ImportCompleted.as_str(), "import.completed");
    }

    #[test]
    fn unknown_text_is_an_error_naming_the_choices() {
        let err = "vip".parse::<LifecycleStage>().err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "unknown LifecycleStage `vip` (one of lead, prospect, customer, churned)"
        );
    }
}
