//! The merchandising rules as serving sees them: every stored rule, kept in
//! memory, read again at every model poll and updated at once by changes
//! committed through this replica (a poll that read the table before such a
//! change commits does not undo it).

use std::sync::RwLock;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use super::activity::OVERLAP;
use crate::domain::recommendation_rule::RuleRecord;
use crate::entities::recommendation_rule;

/// A change committed through this replica.
#[derive(Debug, Clone)]
enum Note {
    Saved(RuleRecord),
    Deleted(Uuid),
}

#[derive(Default)]
struct State {
    rules: Vec<RuleRecord>,
    notes: Vec<(DateTime<Utc>, Note)>,
}

impl State {
    fn apply(&mut self, note: &Note) {
        match note {
            Note::Saved(rule) => match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(kept) if kept.version >= rule.version => {}
                Some(kept) => *kept = rule.clone(),
                None => self.rules.push(rule.clone()),
            },
            Note::Deleted(id) => self.rules.retain(|r| r.id != *id),
        }
    }

    fn note(&mut self, now: DateTime<Utc>, note: Note) {
        self.notes.retain(|(at, _)| *at >= now - OVERLAP);
        self.apply(&note);
        self.notes.push((now, note));
    }
}

/// Every stored merchandising rule.
#[derive(Default)]
pub struct RuleBook {
    state: RwLock<State>,
}

impl RuleBook {
    /// The rules in force at `now`, oldest first.
    pub fn in_force(&self, now: DateTime<Utc>) -> Vec<RuleRecord> {
        let Ok(state) = self.state.read() else {
            return Vec::new();
        };
        let mut rules: Vec<RuleRecord> = state
            .rules
            .iter()
            .filter(|r| r.in_force(now))
            .cloned()
            .collect();
        rules.sort_by_key(|r| (r.created_at, r.id));
        rules
    }

    /// Records a rule created or changed through this replica.
    pub fn note(&self, rule: RuleRecord) {
        if let Ok(mut state) = self.state.write() {
            state.note(Utc::now(), Note::Saved(rule));
        }
    }

    /// Records a rule deleted through this replica.
    pub fn forget(&self, id: Uuid) {
        if let Ok(mut state) = self.state.write() {
            state.note(Utc::now(), Note::Deleted(id));
        }
    }

    /// Reads every rule again.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        let started = Utc::now();
        let rows = recommendation_rule::Entity::find().all(db).await?;
        let rules = rows
            .into_iter()
            .map(RuleRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut state = self
            .state
            .write()
            .map_err(|_| anyhow::anyhow!("rule book lock poisoned"))?;
        state.rules = rules;
        let replayed: Vec<Note> = state
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
