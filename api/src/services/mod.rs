//! Use cases: one function per write, owning everything the write implies
//! (validation, the row, the audit entry with its diff, the outbox event,
//! automations, the serving-cache note). The HTTP handlers, `rapport
//! import`, automations, the demo seed and the workers all write through
//! here.
//!
//! May use: [`crate::domain`], storage, identity, models and workflows.
//! Never the web crates or `crate::http` (the layer test checks it).

pub mod access_keys;
pub mod audit;
pub mod automation_rules;
pub mod automations;
pub mod customers;
pub mod events;
pub mod experiments;
pub mod exposure_log;
pub mod exposures;
pub mod idempotency;
pub mod import;
mod interaction_copy;
pub mod interactions;
pub mod items;
pub mod models;
pub mod outbox;
pub mod privacy;
pub mod recommendation_rules;
pub mod records;
pub mod sealed_secrets;
pub mod segments;
pub mod sessions;
pub mod users;
pub mod webhook_endpoints;
pub mod workflow_actions;
pub mod workflow_definitions;
pub mod workflow_engine;

use std::sync::Mutex;

use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use crate::auth::Caller;
use crate::domain::DomainError;
use crate::domain::experiment::ExperimentRecord;
use crate::domain::recommendation_rule::RuleRecord;
use crate::entities::{interaction, item};
use crate::ml::serving::ModelCache;
use crate::policy::Grant;
use audit::Actor;

/// A change to tell this replica's serving cache once it is committed.
#[derive(Debug, Clone)]
enum CacheNote {
    Interactions(Vec<interaction::Model>),
    Item(Box<item::Model>),
    ItemDeleted(Uuid),
    Customer { id: Uuid, deleted: bool },
    Rule(Box<RuleRecord>),
    RuleDeleted(Uuid),
    Experiment(Box<ExperimentRecord>),
}

/// Who writes, and where the committed changes must be noted: what every
/// service function takes besides its input.
pub struct Context<'a> {
    /// The database.
    pub db: &'a DatabaseConnection,
    /// Who is acting, for the audit log.
    pub actor: Actor,
    /// The caller and what they may do, when the change comes through the
    /// API (ownership rules apply); `None` for the command line and the
    /// service itself.
    pub caller: Option<(&'a Caller, Grant)>,
    cache: Option<&'a ModelCache>,
    notes: Mutex<Vec<CacheNote>>,
}

impl<'a> Context<'a> {
    /// A context for a caller of the API, noting changes in `cache`.
    pub fn for_caller(
        db: &'a DatabaseConnection,
        caller: &'a Caller,
        grant: Grant,
        cache: &'a ModelCache,
    ) -> Self {
        Self {
            db,
            actor: Actor::from(caller),
            caller: Some((caller, grant)),
            cache: Some(cache),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// A context for the command line or the service itself, with no
    /// serving cache in this process (replicas follow by polling).
    pub fn for_system(db: &'a DatabaseConnection, actor: Actor) -> Self {
        Self {
            db,
            actor,
            caller: None,
            cache: None,
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Refuses `owner` when the caller may only write their own or unowned
    /// customers and `owner` is someone else.
    pub fn check_owner(&self, owner: Option<Uuid>) -> Result<(), DomainError> {
        match self.caller {
            Some((caller, grant)) => grant.check_owner(caller, owner),
            None => Ok(()),
        }
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DomainError> {
        Ok(crate::db::begin_write(self.db).await?)
    }

    /// Keeps `note` for [`Context::committed`]; built only when this
    /// process serves (so a bulk import copies nothing).
    fn note(&self, note: impl FnOnce() -> CacheNote) {
        if self.cache.is_some()
            && let Ok(mut notes) = self.notes.lock()
        {
            notes.push(note());
        }
    }

    /// Commits `txn`, then tells the serving cache what it changed.
    pub async fn commit(&self, txn: DatabaseTransaction) -> Result<(), DomainError> {
        txn.commit().await?;
        self.committed();
        Ok(())
    }

    /// Tells the serving cache what the committed transaction changed (for
    /// transactions committed by their owner, such as an idempotent
    /// creation's).
    pub fn committed(&self) {
        let (Some(cache), Ok(mut notes)) = (self.cache, self.notes.lock()) else {
            return;
        };
        for note in notes.drain(..) {
            match note {
                CacheNote::Interactions(rows) => {
                    cache.activity.note_interactions(&rows);
                    cache.dismissals.note_interactions(&rows);
                }
                CacheNote::Item(row) => cache.listing.note(&row),
                CacheNote::ItemDeleted(id) => cache.listing.forget(id),
                CacheNote::Customer { id, deleted } => cache.activity.note_customer(id, deleted),
                CacheNote::Rule(rule) => cache.rules.note(*rule),
                CacheNote::RuleDeleted(id) => cache.rules.forget(id),
                CacheNote::Experiment(experiment) => cache.experiments.note(*experiment),
            }
        }
    }
}
