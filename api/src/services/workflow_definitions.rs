//! Defining workflows: the first version of a key, and every edit as a new
//! version (running instances keep theirs), each audited, for every writer.

use sea_orm::DatabaseTransaction;
use serde::Serialize;

use super::workflow_engine::{self as engine, Pinned};
use super::{Context, events};
use crate::domain::workflow::Definition;
use crate::domain::{DomainError, ErrorCode, IfMatch};

/// What the audit log keeps of one version.
#[derive(Serialize)]
struct Snapshot<'a> {
    key: &'a str,
    version: i32,
    #[serde(flatten)]
    definition: &'a Definition,
}

impl<'a> From<&'a Pinned> for Snapshot<'a> {
    fn from(pinned: &'a Pinned) -> Self {
        Self {
            key: &pinned.row.key,
            version: pinned.row.version,
            definition: &pinned.definition,
        }
    }
}

/// The latest version of workflow `key`, or not found.
pub async fn latest(ctx: &Context<'_>, key: &str) -> Result<Pinned, DomainError> {
    match engine::latest_definition(ctx.db, key).await? {
        Some(row) => Pinned::new(row),
        None => Err(DomainError::NotFound("workflow")),
    }
}

/// Defines workflow `key` (version 1) inside `txn` (which may hold an
/// idempotency claim); a conflict when the key exists.
pub async fn create(
    ctx: &Context<'_>,
    txn: &DatabaseTransaction,
    key: &str,
    definition: &Definition,
) -> Result<Pinned, DomainError> {
    // Checked outside the transaction (which must write first on SQLite); a
    // racing creation of the same key loses on the (key, version) index.
    if engine::latest_definition(ctx.db, key).await?.is_some() {
        return Err(DomainError::Conflict {
            code: ErrorCode::Conflict,
            detail: format!("workflow `{key}` exists; PUT /workflows/{key} makes a new version"),
        });
    }
    let created_by = ctx.caller.map(|(caller, _)| caller.user_id);
    let created = Pinned::new(engine::store_version(txn, key, definition, 1, created_by).await?)?;
    events::audit_config(
        txn,
        &ctx.actor,
        "workflow.create",
        "workflow",
        created.row.id,
        None::<&Snapshot>,
        Some(&Snapshot::from(&created)),
    )
    .await?;
    Ok(created)
}

/// Stores `definition` as the next version of workflow `key`, if its latest
/// version is one `expected` allows.
pub async fn new_version(
    ctx: &Context<'_>,
    key: &str,
    expected: &IfMatch,
    definition: &Definition,
) -> Result<Pinned, DomainError> {
    let current = latest(ctx, key).await?;
    expected.check(current.row.version)?;
    let created_by = ctx.caller.map(|(caller, _)| caller.user_id);
    let txn = ctx.begin().await?;
    // A concurrent edit of the same version loses on the (key, version) index.
    let row = engine::store_version(&txn, key, definition, current.row.version + 1, created_by)
        .await
        .map_err(|err| match err {
            DomainError::Conflict { .. } => DomainError::StaleVersion(
                "the workflow was changed by another request; fetch it again".to_owned(),
            ),
            other => other,
        })?;
    let updated = Pinned::new(row)?;
    events::audit_config(
        &txn,
        &ctx.actor,
        "workflow.update",
        "workflow",
        updated.row.id,
        Some(&Snapshot::from(&current)),
        Some(&Snapshot::from(&updated)),
    )
    .await?;
    ctx.commit(txn).await?;
    Ok(updated)
}
