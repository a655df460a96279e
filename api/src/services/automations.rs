//! Automations: when an interaction of a kind (optionally with a low rating)
//! is recorded, a customer's lifecycle stage changes or a score crosses a
//! threshold, start a workflow on that customer. Every firing is recorded as
//! a run. The hooks run inside the transaction of the change that fired them.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::workflow_engine::{self as engine, Pinned, Started};
use crate::domain::DomainError;
use crate::domain::automation::Trigger;
use crate::domain::event::{AutomationFired, EventPayload};
use crate::entities::{automation, automation_mark, automation_run, interaction};
use crate::services::{outbox, records};

/// Whether any active automation fires on `trigger_type` (so that a bulk
/// write that sets off nothing can skip the work of telling them).
pub async fn any_active(
    db: &impl ConnectionTrait,
    trigger_type: &str,
) -> Result<bool, DomainError> {
    let found = automation::Entity::find()
        .filter(automation::Column::TriggerType.eq(trigger_type))
        .filter(automation::Column::Active.eq(true))
        .one(db)
        .await?;
    Ok(found.is_some())
}

async fn active(
    txn: &DatabaseTransaction,
    trigger_type: &str,
) -> Result<Vec<(automation::Model, Trigger)>, DomainError> {
    let rows = automation::Entity::find()
        .filter(automation::Column::TriggerType.eq(trigger_type))
        .filter(automation::Column::Active.eq(true))
        .all(txn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let trigger = serde_json::from_value(row.trigger.clone())
            .map_err(|e| anyhow::anyhow!("automation {} trigger: {e}", row.id))?;
        out.push((row, trigger));
    }
    Ok(out)
}

/// Starts the automation's workflow on the customer and records the run.
async fn fire(
    txn: &DatabaseTransaction,
    rule: &automation::Model,
    customer_id: Uuid,
    reason: String,
) -> Result<(), DomainError> {
    let (outcome, instance_id, detail) = match engine::latest_definition(txn, &rule.workflow_key)
        .await?
    {
        None => (
            "skipped",
            None,
            format!("workflow `{}` does not exist", rule.workflow_key),
        ),
        Some(row) => {
            let pinned = Pinned::new(row)?;
            let department = pinned
                .definition
                .step(&pinned.definition.initial_step)
                .and_then(|s| s.department.clone());
            let assignee = match rule.assignee_id {
                Some(id) => engine::check_assignee(txn, "assignee_id", id, department.as_deref())
                    .await
                    .ok()
                    .map(|()| id),
                None => None,
            };
            let note = format!("started by automation `{}`: {reason}", rule.name);
            match engine::start(txn, &pinned, customer_id, assignee, Some(note), None).await? {
                Started::New(instance) => ("started", Some(instance.id), reason),
                Started::AlreadyOpen(id) => (
                    "skipped",
                    Some(id),
                    format!(
                        "{reason}; `{}` is already open for this customer",
                        rule.workflow_key
                    ),
                ),
            }
        }
    };
    let run = automation_run::Model {
        id: Uuid::now_v7(),
        automation_id: rule.id,
        customer_id,
        outcome: outcome.to_owned(),
        instance_id,
        detail: Some(detail),
        created_at: Utc::now(),
    };
    let run = automation_run::Entity::insert(automation_run::ActiveModel::from(run))
        .exec_with_returning(txn)
        .await?;
    let fired = AutomationFired {
        automation_id: rule.id,
        run_id: run.id,
        customer_id,
        outcome: run.outcome,
        instance_id: run.instance_id,
        detail: run.detail,
    };
    outbox::emit(txn, EventPayload::AutomationFired(fired)).await
}

/// Hook for recorded interactions (survey answers included).
pub async fn on_interactions(
    txn: &DatabaseTransaction,
    rows: &[interaction::Model],
) -> Result<(), DomainError> {
    on_survey_answers(txn, rows).await?;
    let rules = active(txn, "interaction").await?;
    for (rule, trigger) in &rules {
        let Trigger::Interaction { kind, max_rating } = trigger else {
            continue;
        };
        for row in rows.iter().filter(|r| r.kind == kind.as_str()) {
            let rated_low = match (max_rating, row.rating) {
                (None, _) => true,
                (Some(max), Some(rating)) => rating <= *max,
                (Some(_), None) => false,
            };
            if rated_low {
                let rating = row
                    .rating
                    .map(|r| format!(" rated {r}"))
                    .unwrap_or_default();
                let reason = format!("interaction {} ({}{rating})", row.id, row.kind);
                fire(txn, rule, row.customer_id, reason).await?;
            }
        }
    }
    Ok(())
}

/// Hook for recorded survey answers: fires the detractor automations on
/// every answer of a detractor (NPS 0 to 6, CSAT 1 or 2).
async fn on_survey_answers(
    txn: &DatabaseTransaction,
    rows: &[interaction::Model],
) -> Result<(), DomainError> {
    let rules = active(txn, "detractor").await?;
    if rules.is_empty() {
        return Ok(());
    }
    for row in rows {
        let Some(survey) = records::interaction(row)?.survey else {
            continue;
        };
        if !rapport_satisfaction::detractor(survey.answer) {
            continue;
        }
        let kind = survey.answer.kind().as_str();
        let reason = format!(
            "survey answer {} ({kind} {})",
            row.id,
            survey.answer.score()
        );
        for (rule, _) in &rules {
            fire(txn, rule, row.customer_id, reason.clone()).await?;
        }
    }
    Ok(())
}

/// Hook for customers entering segments: `entered` pairs a customer with
/// the segment it entered.
pub async fn on_segment_entered(
    txn: &DatabaseTransaction,
    entered: &[(Uuid, i32)],
) -> Result<(), DomainError> {
    for (rule, trigger) in active(txn, "segment_entered").await? {
        let Trigger::SegmentEntered { segment_id } = trigger else {
            continue;
        };
        for (customer, _) in entered.iter().filter(|(_, s)| *s == segment_id) {
            fire(
                txn,
                &rule,
                *customer,
                format!("entered segment {segment_id}"),
            )
            .await?;
        }
    }
    Ok(())
}

/// Hook for a change of a customer's lifecycle stage.
pub async fn on_lifecycle_change(
    txn: &DatabaseTransaction,
    customer_id: Uuid,
    from: &str,
    to: &str,
) -> Result<(), DomainError> {
    for (rule, trigger) in active(txn, "lifecycle_stage").await? {
        let Trigger::LifecycleStage {
            from: want_from,
            to: want_to,
        } = trigger
        else {
            continue;
        };
        if want_to.as_str() == to && want_from.is_none_or(|f| f.as_str() == from) {
            fire(
                txn,
                &rule,
                customer_id,
                format!("lifecycle stage {from} -> {to}"),
            )
            .await?;
        }
    }
    Ok(())
}

/// Hook for a computed score: call it with the transaction that stores the
/// score (or any transaction) each time `model_id` scores `customer_id`.
/// Fires score automations whose threshold the probability crosses upwards.
pub async fn on_score(
    txn: &DatabaseTransaction,
    customer_id: Uuid,
    model_id: Uuid,
    probability: f64,
) -> Result<(), DomainError> {
    use automation_mark::Column;
    for (rule, trigger) in active(txn, "score").await? {
        let Trigger::Score {
            model_id: want,
            threshold,
        } = trigger
        else {
            continue;
        };
        if want.is_some_and(|w| w != model_id) {
            continue;
        }
        let above = probability >= threshold;
        let was_above = automation_mark::Entity::find_by_id((rule.id, customer_id))
            .one(txn)
            .await?
            .is_some_and(|m| m.above);
        let mark = automation_mark::Model {
            automation_id: rule.id,
            customer_id,
            above,
            updated_at: Utc::now(),
        };
        automation_mark::Entity::insert(automation_mark::ActiveModel::from(mark))
            .on_conflict(
                OnConflict::columns([Column::AutomationId, Column::CustomerId])
                    .update_columns([Column::Above, Column::UpdatedAt])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        if above && !was_above {
            let reason = format!("score {probability:.3} of model {model_id} crossed {threshold}");
            fire(txn, &rule, customer_id, reason).await?;
        }
    }
    Ok(())
}
