//! What handlers call inside their write transaction: outbox events for
//! webhooks, the automations' triggers, and audit entries for configuration.

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

use crate::audit::{self, Actor, Event};
use crate::auth::Caller;

use crate::automations;
use crate::entities::interaction;
use crate::error::ApiError;
use crate::outbox;
use crate::routes::customers::CustomerOut;
use crate::routes::interactions::InteractionOut;
use crate::validation::contains_pattern;

/// A customer was created.
pub async fn customer_created(
    txn: &DatabaseTransaction,
    out: &CustomerOut,
) -> Result<(), ApiError> {
    outbox::emit(txn, "customer.created", out).await
}

/// A customer was changed; `previous_stage` is its lifecycle stage before.
pub async fn customer_updated(
    txn: &DatabaseTransaction,
    previous_stage: &str,
    out: &CustomerOut,
) -> Result<(), ApiError> {
    outbox::emit(txn, "customer.updated", out).await?;
    if previous_stage != out.lifecycle_stage {
        automations::on_lifecycle_change(txn, out.id, previous_stage, &out.lifecycle_stage).await?;
    }
    Ok(())
}

/// Interactions were recorded.
pub async fn interactions_recorded(
    txn: &DatabaseTransaction,
    rows: &[interaction::Model],
) -> Result<(), ApiError> {
    let payloads: Vec<InteractionOut> = rows.iter().cloned().map(InteractionOut::from).collect();
    outbox::emit_many(txn, "interaction.created", &payloads).await?;
    automations::on_interactions(txn, rows).await
}

/// Records a change of configuration (workflow definitions, automations,
/// webhooks) in the audit log, inside the change's transaction.
pub async fn audit_config(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    action: &'static str,
    resource: &'static str,
    id: Uuid,
    before: Option<&impl Serialize>,
    after: Option<&impl Serialize>,
) -> Result<(), ApiError> {
    let before = before.map(audit::snapshot);
    let after = after.map(audit::snapshot);
    let event = Event::new(action, resource, Some(id)).with_changes(audit::diff(
        before.as_ref(),
        after.as_ref(),
        &[],
    ));
    audit::record(txn, &Actor::from(caller), event).await
}

/// A customer's personal data is being erased: comments on their workflow
/// instances are blanked, and webhook deliveries that carried their data are
/// redacted (and no longer sent).
pub async fn customer_erased(
    txn: &impl ConnectionTrait,
    customer_id: Uuid,
) -> Result<(), ApiError> {
    use crate::entities::{webhook_delivery, workflow_event, workflow_instance};
    let instances: Vec<Uuid> = workflow_instance::Entity::find()
        .select_only()
        .column(workflow_instance::Column::Id)
        .filter(workflow_instance::Column::CustomerId.eq(customer_id))
        .into_tuple()
        .all(txn)
        .await?;
    for chunk in instances.chunks(500) {
        workflow_event::Entity::update_many()
            .col_expr(
                workflow_event::Column::Comment,
                Expr::value(Option::<String>::None),
            )
            .filter(workflow_event::Column::InstanceId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    let mentions = Expr::col(webhook_delivery::Column::Payload)
        .like(LikeExpr::new(contains_pattern(&customer_id.to_string())).escape('\\'));
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value("failed"))
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value("not sent: the customer's personal data was erased"),
        )
        .filter(mentions.clone())
        .filter(webhook_delivery::Column::Status.eq("pending"))
        .exec(txn)
        .await?;
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Payload,
            Expr::value(r#"{"redacted":true}"#),
        )
        .filter(mentions)
        .exec(txn)
        .await?;
    Ok(())
}
