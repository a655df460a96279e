//! What a request needs of its user's row (active, token version, role,
//! department), kept in memory for a second so that a busy client does not
//! cost a database read per request.
//!
//! Changes made through this replica take effect at the next request: the
//! users handler calls [`UserStates::forget`] once its change is committed.
//! Changes made through another replica take effect within [`FRESH_FOR`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::domain::DomainError;
use crate::entities::user;

/// How long a user row read from the database is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// The fields of a user row that authorise a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub active: bool,
    pub token_version: i32,
    pub role: String,
    pub department: Option<String>,
}

impl From<user::Model> for UserState {
    fn from(row: user::Model) -> Self {
        Self {
            active: row.active,
            token_version: row.token_version,
            role: row.role,
            department: row.department,
        }
    }
}

/// Recently read user states, by user id.
#[derive(Default)]
pub struct UserStates {
    read: RwLock<HashMap<Uuid, (Instant, Option<UserState>)>>,
    /// Bumped by every [`UserStates::forget`]: a read that started before a
    /// change was committed must not be remembered after it.
    forgotten: AtomicU64,
}

impl UserStates {
    /// The state of user `id` (`None` when there is no such user), from
    /// memory when it was read less than [`FRESH_FOR`] ago.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        id: Uuid,
    ) -> Result<Option<UserState>, DomainError> {
        if let Some(state) = self.fresh(id) {
            return Ok(state);
        }
        let generation = self.forgotten.load(Ordering::SeqCst);
        let state = user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(UserState::from);
        if let Ok(mut read) = self.read.write()
            && self.forgotten.load(Ordering::SeqCst) == generation
        {
            read.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
            read.insert(id, (Instant::now(), state.clone()));
        }
        Ok(state)
    }

    fn fresh(&self, id: Uuid) -> Option<Option<UserState>> {
        let read = self.read.read().ok()?;
        let (at, state) = read.get(&id)?;
        (at.elapsed() < FRESH_FOR).then(|| state.clone())
    }

    /// Drops what is known of user `id`, so that the next request reads it again.
    pub fn forget(&self, id: Uuid) {
        if let Ok(mut read) = self.read.write() {
            self.forgotten.fetch_add(1, Ordering::SeqCst);
            read.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(version: i32) -> UserState {
        UserState {
            active: true,
            token_version: version,
            role: "admin".to_owned(),
            department: None,
        }
    }

    #[test]
    fn remembered_states_are_fresh_until_forgotten() {
        let states = UserStates::default();
        let id = Uuid::now_v7();
        assert_eq!(states.fresh(id), None);
        states
            .read
            .write()
            .unwrap()
            .insert(id, (Instant::now(), Some(state(3))));
        assert_eq!(states.fresh(id), Some(Some(state(3))));
        states.forget(id);
        assert_eq!(states.fresh(id), None);
    }

    #[test]
    fn old_states_are_not_fresh() {
        let states = UserStates::default();
        let id = Uuid::now_v7();
        let long_ago = Instant::now() - FRESH_FOR * 2;
        states
            .read
            .write()
            .unwrap()
            .insert(id, (long_ago, Some(state(1))));
        assert_eq!(states.fresh(id), None);
    }
}
