//! The two demo workflows: a churn-save play and a lead handoff. The demo
//! seed calls [`seed`]; tests use the definitions as realistic inputs.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::DomainError;
use crate::domain::workflow::{Definition, DefinitionInput, Step, TransitionRule};
use crate::services::audit::Actor;
use crate::services::workflow_actions::{self, Start, Transition};
use crate::services::{Context, workflow_definitions};

fn step(key: &str, name: &str, department: Option<&str>, sla_hours: Option<f64>) -> Step {
    Step {
        key: key.to_owned(),
        name: name.to_owned(),
        department: department.map(str::to_owned),
        sla_hours,
    }
}

fn transition(from: &str, to: &str, name: &str) -> TransitionRule {
    TransitionRule {
        from: from.to_owned(),
        to: to.to_owned(),
        name: Some(name.to_owned()),
    }
}

/// Churn save: support triages, sales makes a retention offer, finance
/// approves a retention discount, then the customer is saved or lost.
pub fn churn_save() -> DefinitionInput {
    DefinitionInput {
        key: Some("churn-save".to_owned()),
        name: "Churn save".to_owned(),
        description: Some(
            "A customer at risk of churning: support triages the complaint, sales makes a \
             retention offer, finance approves a retention discount."
                .to_owned(),
        ),
        steps: vec![
            step("triage", "Support triage", Some("support"), Some(24.0)),
            step(
                "retention_offer",
                "Retention offer",
                Some("sales"),
                Some(48.0),
            ),
            step(
                "discount_approval",
                "Retention discount approval",
                Some("finance"),
                Some(24.0),
            ),
            step("saved", "Customer saved", None, None),
            step("churned", "Customer churned", None, None),
        ],
        transitions: vec![
            transition("triage", "retention_offer", "Escalate to sales"),
            transition("triage", "saved", "Resolved by support"),
            transition(
                "retention_offer",
                "discount_approval",
                "Request a retention discount",
            ),
            transition("retention_offer", "saved", "Saved without discount"),
            transition("retention_offer", "churned", "Customer left"),
            transition(
                "discount_approval",
                "saved",
                "Discount approved and accepted",
            ),
            transition("discount_approval", "retention_offer", "Discount refused"),
        ],
        initial_step: "triage".to_owned(),
        terminal_steps: vec!["saved".to_owned(), "churned".to_owned()],
    }
}

/// Lead handoff: marketing qualifies a lead, sales works it to won or lost.
pub fn lead_handoff() -> DefinitionInput {
    DefinitionInput {
        key: Some("lead-handoff".to_owned()),
        name: "Lead handoff".to_owned(),
        description: Some(
            "Marketing qualifies an inbound lead and hands it to sales, who work it to won or lost."
                .to_owned(),
        ),
        steps: vec![
            step("qualify", "Marketing qualification", Some("marketing"), Some(72.0)),
            step("work", "Sales opportunity", Some("sales"), Some(336.0)),
            step("won", "Won", Some("sales"), None),
            step("lost", "Lost", Some("sales"), None),
        ],
        transitions: vec![
            transition("qualify", "work", "Qualified: hand to sales"),
            transition("qualify", "lost", "Disqualified"),
            transition("work", "won", "Closed won"),
            transition("work", "lost", "Closed lost"),
            transition("work", "qualify", "Back to marketing for nurturing"),
        ],
        initial_step: "qualify".to_owned(),
        terminal_steps: vec!["won".to_owned(), "lost".to_owned()],
    }
}

/// Both demo definitions.
pub fn definitions() -> Vec<DefinitionInput> {
    vec![churn_save(), lead_handoff()]
}

/// Stores the demo definitions whose keys do not exist yet.
pub async fn seed(db: &DatabaseConnection) -> Result<(), DomainError> {
    let ctx = Context::for_system(db, Actor::system());
    for input in definitions() {
        let key = input.key.clone().unwrap_or_default();
        let definition = Definition::try_from(input)?;
        if workflow_definitions::latest(&ctx, &key).await.is_err() {
            let txn = ctx.begin().await?;
            workflow_definitions::create(&ctx, &txn, &key, &definition).await?;
            ctx.commit(txn).await?;
        }
    }
    Ok(())
}

/// Starts the demo workflows on `customers` (after [`seed`]): churn saves on
/// every third customer, lead handoffs on the next, every other one moved
/// one step on, so that the demo shows open, moved and overdue-free work.
/// Returns how many instances were started.
pub async fn seed_instances(
    db: &DatabaseConnection,
    customers: &[Uuid],
) -> Result<usize, DomainError> {
    let ctx = Context::for_system(db, Actor::system());
    let mut started = 0;
    for (i, customer) in customers.iter().enumerate() {
        let (key, next) = match i % 3 {
            0 => ("churn-save", "retention_offer"),
            1 => ("lead-handoff", "work"),
            _ => continue,
        };
        let start = Start {
            workflow_key: key.to_owned(),
            customer_id: *customer,
            assignee_id: None,
            note: Some("demo".to_owned()),
        };
        let txn = ctx.begin().await?;
        let instance = match workflow_actions::start(&ctx, &txn, start).await {
            Ok((instance, _)) => instance,
            Err(DomainError::Conflict { .. }) => continue,
            Err(other) => return Err(other),
        };
        ctx.commit(txn).await?;
        started += 1;
        if i % 2 == 0 {
            let transition = Transition {
                to: next.to_owned(),
                comment: Some("handed on (demo)".to_owned()),
                expected_version: instance.version,
                assignee_id: None,
            };
            workflow_actions::transition(&ctx, instance.id, transition).await?;
        }
    }
    Ok(started)
}
