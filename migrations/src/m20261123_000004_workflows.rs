//! Workflows (versioned definitions, instances, events), automations and
//! their runs, webhooks with their outbox of deliveries and delivery attempts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum WorkflowDefinitions {
    Table,
    Id,
    Key,
    Version,
    Latest,
    Name,
    Description,
    Steps,
    Transitions,
    InitialStep,
    TerminalSteps,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WorkflowInstances {
    Table,
    Id,
    DefinitionId,
    WorkflowKey,
    CustomerId,
    Status,
    CurrentStep,
    Department,
    AssigneeId,
    DueAt,
    SlaBreachedAt,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WorkflowEvents {
    Table,
    Id,
    InstanceId,
    Kind,
    ActorId,
    FromStep,
    ToStep,
    AssigneeId,
    Comment,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Automations {
    Table,
    Id,
    Name,
    TriggerType,
    Trigger,
    WorkflowKey,
    AssigneeId,
    Active,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AutomationRuns {
    Table,
    Id,
    AutomationId,
    CustomerId,
    Outcome,
    InstanceId,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AutomationMarks {
    Table,
    AutomationId,
    CustomerId,
    Above,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Webhooks {
    Table,
    Id,
    Url,
    Description,
    Events,
    EventIndex,
    Secret,
    Active,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventId,
    EventType,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastStatusCode,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    WebhookId,
    Attempt,
    StatusCode,
    LatencyMs,
    Error,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    Id,
}

fn index<T: IntoIden + Copy + 'static>(table: T, name: &str, cols: &[T]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(*col);
    }
    idx.to_owned()
}

fn cascade<T: IntoIden + Copy + 'static, U: IntoIden + Copy + 'static>(
    from: (T, T),
    to: (U, U),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WorkflowDefinitions as D;
        manager
            .create_table(
                Table::create()
                    .table(D::Table)
                    .col(pk_uuid(D::Id))
                    .col(string(D::Key))
                    .col(integer(D::Version))
                    .col(boolean(D::Latest))
                    .col(string(D::Name))
                    .col(text_null(D::Description))
                    .col(json_binary(D::Steps))
                    .col(json_binary(D::Transitions))
                    .col(string(D::InitialStep))
                    .col(json_binary(D::TerminalSteps))
                    .col(uuid_null(D::CreatedBy))
                    .col(timestamp_with_time_zone(D::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    D::Table,
                    "idx_workflow_definitions_key_version",
                    &[D::Key, D::Version],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        use WorkflowInstances as I;
        manager
            .create_table(
                Table::create()
                    .table(I::Table)
                    .col(pk_uuid(I::Id))
                    .col(uuid(I::DefinitionId))
                    .col(string(I::WorkflowKey))
                    .col(uuid(I::CustomerId))
                    .col(string(I::Status))
                    .col(string(I::CurrentStep))
                    .col(string_null(I::Department))
                    .col(uuid_null(I::AssigneeId))
                    .col(timestamp_with_time_zone_null(I::DueAt))
                    .col(timestamp_with_time_zone_null(I::SlaBreachedAt))
                    .col(integer(I::Version))
                    .col(uuid_null(I::CreatedBy))
                    .col(timestamp_with_time_zone(I::CreatedAt))
                    .col(timestamp_with_time_zone(I::UpdatedAt))
                    .col(timestamp_with_time_zone_null(I::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(I::Table, I::DefinitionId)
                            .to(D::Table, D::Id),
                    )
                    .foreign_key(&mut cascade(
                        (I::Table, I::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_workflow_instances_customer", &[I::CustomerId][..]),
            (
                "idx_workflow_instances_status_due",
                &[I::Status, I::DueAt][..],
            ),
            ("idx_workflow_instances_department", &[I::Department][..]),
            ("idx_workflow_instances_assignee", &[I::AssigneeId][..]),
            ("idx_workflow_instances_created_at", &[I::CreatedAt][..]),
        ] {
            manager.create_index(index(I::Table, name, cols)).await?;
        }
        // At most one open instance of a workflow per customer; a partial
        // index reads the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_workflow_instances_one_open \
                 ON workflow_instances (customer_id, workflow_key) WHERE status = 'open'",
            )
            .await?;

        use WorkflowEvents as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(pk_uuid(E::Id))
                    .col(uuid(E::InstanceId))
                    .col(string(E::Kind))
                    .col(uuid_null(E::ActorId))
                    .col(string_null(E::FromStep))
                    .col(string_null(E::ToStep))
                    .col(uuid_null(E::AssigneeId))
                    .col(text_null(E::Comment))
                    .col(timestamp_with_time_zone(E::CreatedAt))
                    .foreign_key(&mut cascade((E::Table, E::InstanceId), (I::Table, I::Id)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                E::Table,
                "idx_workflow_events_instance",
                &[E::InstanceId, E::CreatedAt],
            ))
            .await?;

        use Automations as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(pk_uuid(A::Id))
                    .col(string(A::Name))
                    .col(string(A::TriggerType))
                    .col(json_binary(A::Trigger))
                    .col(string(A::WorkflowKey))
                    .col(uuid_null(A::AssigneeId))
                    .col(boolean(A::Active))
                    .col(integer(A::Version))
                    .col(uuid_null(A::CreatedBy))
                    .col(timestamp_with_time_zone(A::CreatedAt))
                    .col(timestamp_with_time_zone(A::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                A::Table,
                "idx_automations_trigger",
                &[A::TriggerType, A::Active],
            ))
            .await?;

        use AutomationRuns as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(pk_uuid(R::Id))
                    .col(uuid(R::AutomationId))
                    .col(uuid(R::CustomerId))
                    .col(string(R::Outcome))
                    .col(uuid_null(R::InstanceId))
                    .col(text_null(R::Detail))
                    .col(timestamp_with_time_zone(R::CreatedAt))
                    .foreign_key(&mut cascade((R::Table, R::AutomationId), (A::Table, A::Id)))
                    .foreign_key(&mut cascade(
                        (R::Table, R::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                R::Table,
                "idx_automation_runs_automation",
                &[R::AutomationId, R::CreatedAt],
            ))
            .await?;

        use AutomationMarks as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(uuid(M::AutomationId))
                    .col(uuid(M::CustomerId))
                    .col(boolean(M::Above))
                    .col(timestamp_with_time_zone(M::UpdatedAt))
                    .primary_key(Index::create().col(M::AutomationId).col(M::CustomerId))
                    .foreign_key(&mut cascade((M::Table, M::AutomationId), (A::Table, A::Id)))
                    .foreign_key(&mut cascade(
                        (M::Table, M::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        use Webhooks as W;
        manager
            .create_table(
                Table::create()
                    .table(W::Table)
                    .col(pk_uuid(W::Id))
                    .col(text(W::Url))
                    .col(text_null(W::Description))
                    .col(json_binary(W::Events))
                    .col(text(W::EventIndex))
                    .col(string(W::Secret))
                    .col(boolean(W::Active))
                    .col(integer(W::Version))
                    .col(uuid_null(W::CreatedBy))
                    .col(timestamp_with_time_zone(W::CreatedAt))
                    .col(timestamp_with_time_zone(W::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        use WebhookDeliveries as L;
        manager
            .create_table(
                Table::create()
                    .table(L::Table)
                    .col(pk_uuid(L::Id))
                    .col(uuid(L::WebhookId))
                    .col(string(L::EventId))
                    .col(string(L::EventType))
                    .col(text(L::Payload))
                    .col(string(L::Status))
                    .col(integer(L::Attempts))
                    .col(timestamp_with_time_zone(L::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(L::LockedUntil))
                    .col(integer_null(L::LastStatusCode))
                    .col(text_null(L::LastError))
                    .col(timestamp_with_time_zone(L::CreatedAt))
                    .col(timestamp_with_time_zone(L::UpdatedAt))
                    .foreign_key(&mut cascade((L::Table, L::WebhookId), (W::Table, W::Id)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                L::Table,
                "idx_webhook_deliveries_due",
                &[L::Status, L::NextAttemptAt],
            ))
            .await?;
        manager
            .create_index(index(
                L::Table,
                "idx_webhook_deliveries_webhook",
                &[L::WebhookId, L::CreatedAt],
            ))
            .await?;

        use WebhookAttempts as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(pk_uuid(T::Id))
                    .col(uuid(T::DeliveryId))
                    .col(uuid(T::WebhookId))
                    .col(integer(T::Attempt))
                    .col(integer_null(T::StatusCode))
                    .col(big_integer(T::LatencyMs))
                    .col(text_null(T::Error))
                    .col(timestamp_with_time_zone(T::CreatedAt))
                    .foreign_key(&mut cascade((T::Table, T::DeliveryId), (L::Table, L::Id)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                T::Table,
                "idx_webhook_attempts_delivery",
                &[T::DeliveryId, T::Attempt],
            ))
            .await?;
        Ok(())
    }
}
