//! Small configuration tables as serving sees them (the merchandising rules,
//! the experiments): every row kept in memory, read again at every model
//! poll and updated at once by changes committed through this replica; a
//! poll that read the table before such a change commits does not undo it.

use std::sync::RwLock;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use super::activity::OVERLAP;
use crate::domain::experiment::ExperimentRecord;
use crate::domain::recommendation_rule::RuleRecord;
use crate::entities::{experiment, recommendation_rule};

/// A versioned record of a [`Book`].
pub trait Versioned: Clone {
    /// Its id.
    fn id(&self) -> Uuid;
    /// Incremented on every change.
    fn version(&self) -> i32;
}

impl Versioned for RuleRecord {
    fn id(&self) -> Uuid {
        self.id
    }
    fn version(&self) -> i32 {
        self.version
    }
}

impl Versioned for ExperimentRecord {
    fn id(&self) -> Uuid {
        self.id
    }
    fn version(&self) -> i32 {
        self.version
    }
}

/// A change committed through this replica.
#[derive(Debug, Clone)]
enum Note<T> {
    Saved(T),
    Deleted(Uuid),
}

struct State<T> {
    rows: Vec<T>,
    notes: Vec<(DateTime<Utc>, Note<T>)>,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }
}

impl<T: Versioned> State<T> {
    fn apply(&mut self, note: &Note<T>) {
        match note {
            Note::Saved(row) => match self.rows.iter_mut().find(|r| r.id() == row.id()) {
                Some(kept) if kept.version() >= row.version() => {}
                Some(kept) => *kept = row.clone(),
                None => self.rows.push(row.clone()),
            },
            Note::Deleted(id) => self.rows.retain(|r| r.id() != *id),
        }
    }

    fn note(&mut self, now: DateTime<Utc>, note: Note<T>) {
        self.notes.retain(|(at, _)| *at >= now - OVERLAP);
        self.apply(&note);
        self.notes.push((now, note));
    }
}

/// Every row of one table, in memory.
pub struct Book<T> {
    state: RwLock<State<T>>,
}

impl<T> Default for Book<T> {
    fn default() -> Self {
        Self {
            state: RwLock::new(State::default()),
        }
    }
}

/// The merchandising rules.
pub type RuleBook = Book<RuleRecord>;

/// The experiments.
pub type ExperimentBook = Book<ExperimentRecord>;

impl<T: Versioned> Book<T> {
    /// The rows `keep` admits, in storage order.
    pub fn select(&self, keep: impl Fn(&T) -> bool) -> Vec<T> {
        let Ok(state) = self.state.read() else {
            return Vec::new();
        };
        state.rows.iter().filter(|r| keep(r)).cloned().collect()
    }

    /// Records a row created or changed through this replica.
    pub fn note(&self, row: T) {
        if let Ok(mut state) = self.state.write() {
            state.note(Utc::now(), Note::Saved(row));
        }
    }

    /// Records a row deleted through this replica.
    pub fn forget(&self, id: Uuid) {
        if let Ok(mut state) = self.state.write() {
            state.note(Utc::now(), Note::Deleted(id));
        }
    }

    /// Replaces every row with `rows`, read from the table since `started`,
    /// and applies again the local changes noted since.
    fn replace(&self, started: DateTime<Utc>, rows: Vec<T>) -> Result<(), anyhow::Error> {
        let mut state = self
            .state
            .write()
            .map_err(|_| anyhow::anyhow!("book lock poisoned"))?;
        state.rows = rows;
        let replayed: Vec<Note<T>> = state
            .notes
            .iter()
            .filter(|(at, _)| *at >= started)
            .map(|(_, note)| note.clone())
            .collect();
        for note in &replayed {
            state.apply(note);
        }
        Ok(())
    }
}

impl RuleBook {
    /// The rules in force at `now`, oldest first.
    pub fn in_force(&self, now: DateTime<Utc>) -> Vec<RuleRecord> {
        let mut rules = self.select(|r| r.in_force(now));
        rules.sort_by_key(|r| (r.created_at, r.id));
        rules
    }

    /// Reads every rule again.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        let started = Utc::now();
        let rows = recommendation_rule::Entity::find().all(db).await?;
        let rules = rows
            .into_iter()
            .map(RuleRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        self.replace(started, rules)
    }
}

impl ExperimentBook {
    /// The experiment splitting the lists of `placement` at `now`, if any.
    pub fn splitting(&self, placement: &str, now: DateTime<Utc>) -> Option<ExperimentRecord> {
        self.select(|x| x.splits(placement, now)).into_iter().next()
    }

    /// Reads every experiment again.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        let started = Utc::now();
        let rows = experiment::Entity::find().all(db).await?;
        let experiments = rows
            .into_iter()
            .map(ExperimentRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        self.replace(started, experiments)
    }
}
