//! What serving needs to know of customers beyond the active models: which
//! ones are deleted, and which items they interacted with since the models'
//! data was read. Kept in memory, so that a recommendation for a customer
//! the model knows reads nothing from the database.
//!
//! Like the item listing, this follows the database: changes made through
//! this replica are noted once committed, and every model poll reads the
//! customers updated and the interactions recorded since the previous poll.
//! A change made through another replica is served within one poll interval
//! (replica clocks agreeing to within 30 s); when polls keep failing, memory
//! stops answering and serving reads the database.
//! The interactions kept are those recorded since the oldest data cut-off of
//! the active recommenders; training a new model lets the older ones go.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::{customer, interaction};

/// How far back each poll reads again: a change stamped before one poll can
/// commit after it.
pub(super) const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// What memory says of one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recent {
    /// The customer is deleted.
    Deleted,
    /// The items of the customer's interactions recorded since the time asked.
    Items(Vec<Uuid>),
}

/// Memory older than this does not answer: when polls keep failing, serving
/// reads the database rather than trust what it last saw.
pub(super) const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

#[derive(Debug, Clone, Copy)]
struct Touch {
    id: Uuid,
    item: Uuid,
    created_at: DateTime<Utc>,
}

/// A change committed through this replica, kept for [`OVERLAP`] so that a
/// poll which read the database before the commit cannot undo it.
#[derive(Debug, Clone, Copy)]
enum Note {
    Customer { id: Uuid, deleted: bool },
    Interaction { customer: Uuid, touch: Touch },
}

/// The in-memory state; `None` watermarks mean "not loaded yet".
#[derive(Default)]
struct State {
    deleted: HashSet<Uuid>,
    customers_read_at: Option<DateTime<Utc>>,
    /// Interactions recorded at or after `floor`, by customer.
    touches: HashMap<Uuid, Vec<Touch>>,
    /// Ids of the interactions in `touches`, so that a re-read adds nothing twice.
    seen_ids: HashSet<Uuid>,
    floor: Option<DateTime<Utc>>,
    interactions_read_at: Option<DateTime<Utc>>,
    notes: Vec<(DateTime<Utc>, Note)>,
}

impl State {
    fn mark(&mut self, id: Uuid, deleted: bool) {
        if deleted {
            self.deleted.insert(id);
        } else {
            self.deleted.remove(&id);
        }
    }

    fn touch(&mut self, customer: Uuid, touch: Touch) {
        if self.floor.is_some_and(|floor| touch.created_at >= floor)
            && self.seen_ids.insert(touch.id)
        {
            self.touches.entry(customer).or_default().push(touch);
        }
    }

    fn apply(&mut self, note: Note) {
        match note {
            Note::Customer { id, deleted } => self.mark(id, deleted),
            Note::Interaction { customer, touch } => self.touch(customer, touch),
        }
    }

    /// Applies local changes made at `now` and keeps them for polls in
    /// flight, letting go of those older than [`OVERLAP`].
    fn note(&mut self, now: DateTime<Utc>, notes: impl IntoIterator<Item = Note>) {
        self.notes.retain(|(at, _)| *at >= now - OVERLAP);
        for note in notes {
            self.apply(note);
            self.notes.push((now, note));
        }
    }

    /// Applies again the local changes noted since a poll started, which
    /// that poll may have read the database too early to see.
    fn replay_notes_since(&mut self, started: DateTime<Utc>) {
        let notes: Vec<Note> = self
            .notes
            .iter()
            .filter(|(at, _)| *at >= started)
            .map(|(_, note)| *note)
            .collect();
        for note in notes {
            self.apply(note);
        }
    }

    /// Starts over from `floor`, with nothing loaded.
    fn reset(&mut self, floor: Option<DateTime<Utc>>) {
        self.touches.clear();
        self.seen_ids.clear();
        self.floor = floor;
        self.interactions_read_at = None;
    }

    /// Moves the floor up, letting interactions before it go.
    fn raise_floor(&mut self, floor: DateTime<Utc>) {
        self.floor = Some(floor);
        for touches in self.touches.values_mut() {
            touches.retain(|t| t.created_at >= floor);
        }
        self.touches.retain(|_, touches| !touches.is_empty());
        self.seen_ids = self.touches.values().flatten().map(|t| t.id).collect();
    }

    fn recent(&self, customer: &Uuid, since: DateTime<Utc>) -> Option<Recent> {
        let fresh_from = Utc::now() - STALE_AFTER;
        if self.customers_read_at? < fresh_from || self.interactions_read_at? < fresh_from {
            return None;
        }
        if self.floor.is_none_or(|floor| since < floor) {
            return None;
        }
        if self.deleted.contains(customer) {
            return Some(Recent::Deleted);
        }
        let items = self
            .touches
            .get(customer)
            .map(|touches| {
                touches
                    .iter()
                    .filter(|t| t.created_at >= since)
                    .map(|t| t.item)
                    .collect()
            })
            .unwrap_or_default();
        Some(Recent::Items(items))
    }
}

/// How far the state has read.
struct Watermarks {
    customers_read_at: Option<DateTime<Utc>>,
    floor: Option<DateTime<Utc>>,
    interactions_read_at: Option<DateTime<Utc>>,
}

/// Deleted customers and recent interactions, as serving sees them.
#[derive(Default)]
pub struct CustomerActivity {
    state: RwLock<State>,
}

type CustomerRow = (Uuid, Option<DateTime<Utc>>);
type InteractionRow = (Uuid, Uuid, Uuid, DateTime<Utc>);

impl CustomerActivity {
    /// What memory knows of `customer` (a customer that exists) since
    /// `since`, or `None` when memory does not reach back that far and the
    /// database must be asked.
    pub fn recent(&self, customer: &Uuid, since: DateTime<Utc>) -> Option<Recent> {
        self.state.read().ok()?.recent(customer, since)
    }

    /// Records interactions committed through this replica.
    pub fn note_interactions(&self, rows: &[interaction::Model]) {
        let notes = rows.iter().filter_map(|row| {
            let touch = Touch {
                id: row.id,
                item: row.item_id?,
                created_at: row.created_at,
            };
            Some(Note::Interaction {
                customer: row.customer_id,
                touch,
            })
        });
        if let Ok(mut state) = self.state.write() {
            state.note(Utc::now(), notes);
        }
    }

    /// Records a committed deletion (or restoration) of a customer.
    pub fn note_customer(&self, id: Uuid, deleted: bool) {
        if let Ok(mut state) = self.state.write() {
            state.note(Utc::now(), [Note::Customer { id, deleted }]);
        }
    }

    fn watermarks(&self) -> Option<Watermarks> {
        let state = self.state.read().ok()?;
        Some(Watermarks {
            customers_read_at: state.customers_read_at,
            floor: state.floor,
            interactions_read_at: state.interactions_read_at,
        })
    }

    /// Reads the customers updated and the interactions recorded since the
    /// last refresh. `floor` is the oldest data cut-off of the active
    /// recommenders (`None` when there is none): when it moves back, the
    /// interactions are read again from there.
    pub async fn refresh(
        &self,
        db: &DatabaseConnection,
        floor: Option<DateTime<Utc>>,
    ) -> Result<(), anyhow::Error> {
        let Watermarks {
            customers_read_at,
            floor: loaded_floor,
            interactions_read_at,
        } = self
            .watermarks()
            .ok_or_else(|| anyhow::anyhow!("customer activity lock poisoned"))?;
        let started = Utc::now();
        let customers = read_customers(db, customers_read_at).await?;
        let reload = match (floor, loaded_floor, interactions_read_at) {
            (Some(floor), Some(loaded), Some(_)) if floor >= loaded => None,
            (Some(floor), ..) => Some(floor),
            (None, ..) => None,
        };
        let interactions = match (floor, reload) {
            (None, _) => Vec::new(),
            (Some(_), Some(from)) => read_interactions(db, from).await?,
            (Some(floor), None) => {
                // Nothing before the floor is kept, so nothing before it is read again.
                let since = interactions_read_at.map_or(floor, |at| (at - OVERLAP).max(floor));
                read_interactions(db, since).await?
            }
        };
        let mut state = self
            .state
            .write()
            .map_err(|_| anyhow::anyhow!("customer activity lock poisoned"))?;
        for (id, deleted_at) in customers {
            state.mark(id, deleted_at.is_some());
        }
        state.customers_read_at = Some(started);
        match (floor, reload) {
            (None, _) => state.reset(None),
            (Some(from), Some(_)) => state.reset(Some(from)),
            (Some(floor), None) => {
                if state.floor.is_some_and(|loaded| floor > loaded) {
                    state.raise_floor(floor);
                }
            }
        }
        if floor.is_some() {
            for (id, customer, item, created_at) in interactions {
                let touch = Touch {
                    id,
                    item,
                    created_at,
                };
                state.touch(customer, touch);
            }
            state.interactions_read_at = Some(started);
        }
        state.replay_notes_since(started);
        Ok(())
    }
}

/// Customers updated since `read_at` (less the overlap), or on the first
/// read every deleted customer.
async fn read_customers(
    db: &DatabaseConnection,
    read_at: Option<DateTime<Utc>>,
) -> Result<Vec<CustomerRow>, anyhow::Error> {
    use customer::Column as C;
    let query = customer::Entity::find()
        .select_only()
        .columns([C::Id, C::DeletedAt]);
    let query = match read_at {
        Some(at) => query.filter(C::UpdatedAt.gte(at - OVERLAP)),
        None => query.filter(C::DeletedAt.is_not_null()),
    };
    Ok(query.into_tuple().all(db).await?)
}

/// Interactions with an item recorded at or after `since`, streamed into a
/// compact list: after a bulk load, a poll reads many rows, and holding them
/// all as driver rows at once would cost several times their size.
async fn read_interactions(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
) -> Result<Vec<InteractionRow>, anyhow::Error> {
    use interaction::Column as I;
    let mut rows = interaction::Entity::find()
        .select_only()
        .columns([I::Id, I::CustomerId, I::ItemId, I::CreatedAt])
        .filter(I::CreatedAt.gte(since))
        .filter(I::ItemId.is_not_null())
        .into_tuple::<(Uuid, Uuid, Option<Uuid>, DateTime<Utc>)>()
        .stream(db)
        .await?;
    let mut out = Vec::new();
    while let Some((id, customer, item, created_at)) = rows.try_next().await? {
        if let Some(item) = item {
            out.push((id, customer, item, created_at));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn loaded(floor: DateTime<Utc>) -> State {
        State {
            floor: Some(floor),
            customers_read_at: Some(Utc::now()),
            interactions_read_at: Some(Utc::now()),
            ..State::default()
        }
    }

    fn touch(id: Uuid, item: Uuid, created_at: DateTime<Utc>) -> Touch {
        Touch {
            id,
            item,
            created_at,
        }
    }

    #[test]
    fn nothing_is_known_before_the_first_read() {
        let state = State::default();
        assert_eq!(state.recent(&Uuid::now_v7(), Utc::now()), None);
    }

    #[test]
    fn recent_items_are_those_since_the_time_asked() {
        let floor = Utc::now();
        let mut state = loaded(floor);
        let (customer, early, late) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let later = floor + TimeDelta::seconds(10);
        state.touch(customer, touch(Uuid::now_v7(), early, floor));
        let again = Uuid::now_v7();
        state.touch(customer, touch(again, late, later));
        state.touch(customer, touch(again, late, later));
        // Before the interaction floor, memory cannot answer.
        assert_eq!(state.recent(&customer, floor - TimeDelta::seconds(1)), None);
        assert_eq!(
            state.recent(&customer, floor),
            Some(Recent::Items(vec![early, late]))
        );
        assert_eq!(
            state.recent(&customer, later),
            Some(Recent::Items(vec![late]))
        );
        assert_eq!(
            state.recent(&Uuid::now_v7(), floor),
            Some(Recent::Items(vec![]))
        );
        state.raise_floor(later);
        assert_eq!(
            state.recent(&customer, later),
            Some(Recent::Items(vec![late]))
        );
        assert_eq!(state.recent(&customer, floor), None);
    }

    #[test]
    fn interactions_before_the_floor_are_not_kept() {
        let floor = Utc::now();
        let mut state = loaded(floor);
        let customer = Uuid::now_v7();
        let before = floor - TimeDelta::seconds(1);
        state.touch(customer, touch(Uuid::now_v7(), Uuid::now_v7(), before));
        assert!(state.touches.is_empty());
    }

    #[test]
    fn memory_does_not_answer_once_polls_stop() {
        let floor = Utc::now() - TimeDelta::hours(1);
        let mut state = loaded(floor);
        state.interactions_read_at = Some(Utc::now() - STALE_AFTER - TimeDelta::seconds(1));
        assert_eq!(state.recent(&Uuid::now_v7(), floor), None);
    }

    #[test]
    fn a_poll_that_read_too_early_does_not_undo_a_local_change() {
        let floor = Utc::now();
        let mut state = loaded(floor);
        let (customer, item) = (Uuid::now_v7(), Uuid::now_v7());
        let started = Utc::now();
        let bought = touch(Uuid::now_v7(), item, Utc::now());
        let deleted = Note::Customer {
            id: customer,
            deleted: true,
        };
        let recorded = Note::Interaction {
            customer,
            touch: bought,
        };
        state.note(Utc::now(), [deleted, recorded]);
        // The poll read the customer live and reloaded the interactions
        // without the new one, before the commits.
        state.mark(customer, false);
        state.reset(Some(floor));
        state.interactions_read_at = Some(started);
        state.replay_notes_since(started);
        assert_eq!(state.recent(&customer, floor), Some(Recent::Deleted));
        state.mark(customer, false);
        assert_eq!(
            state.recent(&customer, floor),
            Some(Recent::Items(vec![item]))
        );
    }

    #[test]
    fn deletions_and_restorations() {
        let floor = Utc::now();
        let mut state = loaded(floor);
        let customer = Uuid::now_v7();
        state.mark(customer, true);
        assert_eq!(state.recent(&customer, floor), Some(Recent::Deleted));
        state.mark(customer, false);
        assert_eq!(state.recent(&customer, floor), Some(Recent::Items(vec![])));
    }
}
