//! What a request needs of its user's row (active, token version, role,
//! department, whether a password change is due) and of its sign-in
//! (revoked or not), kept in memory for a second so that a busy client
//! does not cost database reads per request.
//!
//! Changes made through this replica take effect at the next request: the
//! handler that makes one calls [`UserStates::forget`] or
//! [`SessionStates::forget`] once it is committed. Changes made through
//! another replica take effect within [`FRESH_FOR`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::domain::DomainError;
use crate::entities::{refresh_token, user};

/// How long a row read from the database is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Values read recently, by id.
struct Remembered<V> {
    read: RwLock<HashMap<Uuid, (Instant, V)>>,
    /// Bumped by every forget: a read that started before a change was
    /// committed must not be remembered after it.
    forgotten: AtomicU64,
}

impl<V> Default for Remembered<V> {
    fn default() -> Self {
        Self {
            read: RwLock::new(HashMap::new()),
            forgotten: AtomicU64::new(0),
        }
    }
}

impl<V: Clone> Remembered<V> {
    /// The value of `id`, from memory when it was read less than
    /// [`FRESH_FOR`] ago, else from `load`.
    async fn get<F>(&self, id: Uuid, load: F) -> Result<V, DomainError>
    where
        F: Future<Output = Result<V, DomainError>>,
    {
        if let Some(value) = self.fresh(id) {
            return Ok(value);
        }
        let generation = self.forgotten.load(Ordering::SeqCst);
        let value = load.await?;
        if let Ok(mut read) = self.read.write()
            && self.forgotten.load(Ordering::SeqCst) == generation
        {
            read.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
            read.insert(id, (Instant::now(), value.clone()));
        }
        Ok(value)
    }

    fn fresh(&self, id: Uuid) -> Option<V> {
        let read = self.read.read().ok()?;
        let (at, value) = read.get(&id)?;
        (at.elapsed() < FRESH_FOR).then(|| value.clone())
    }

    #[cfg(test)]
    fn remember(&self, id: Uuid, at: Instant, value: V) {
        if let Ok(mut read) = self.read.write() {
            read.insert(id, (at, value));
        }
    }

    fn forget(&self, id: Uuid) {
        if let Ok(mut read) = self.read.write() {
            self.forgotten.fetch_add(1, Ordering::SeqCst);
            read.remove(&id);
        }
    }

    fn forget_all(&self) {
        if let Ok(mut read) = self.read.write() {
            self.forgotten.fetch_add(1, Ordering::SeqCst);
            read.clear();
        }
    }
}

/// The fields of a user row that authorise a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub active: bool,
    pub token_version: i32,
    pub role: String,
    pub department: Option<String>,
    pub must_change_password: bool,
}

impl From<user::Model> for UserState {
    fn from(row: user::Model) -> Self {
        Self {
            active: row.active,
            token_version: row.token_version,
            role: row.role,
            department: row.department,
            must_change_password: row.must_change_password,
        }
    }
}

/// Recently read user states, by user id.
#[derive(Default)]
pub struct UserStates(Remembered<Option<UserState>>);

impl UserStates {
    /// The state of user `id` (`None` when there is no such user), from
    /// memory when it was read less than [`FRESH_FOR`] ago.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        id: Uuid,
    ) -> Result<Option<UserState>, DomainError> {
        self.0
            .get(id, async {
                Ok(user::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .map(UserState::from))
            })
            .await
    }

    /// Drops what is known of user `id`, so that the next request reads it again.
    pub fn forget(&self, id: Uuid) {
        self.0.forget(id);
    }
}

/// Whether sign-ins (refresh-token families) are still live, by family id.
/// A family is live while one of its tokens is not revoked: signing out,
/// a replayed refresh token and a password change revoke every token of a
/// family at once, and the access tokens of the family with them.
#[derive(Default)]
pub struct SessionStates(Remembered<bool>);

impl SessionStates {
    /// Whether sign-in `family_id` is live (an unknown one is not), from
    /// memory when it was read less than [`FRESH_FOR`] ago.
    pub async fn live(
        &self,
        db: &DatabaseConnection,
        family_id: Uuid,
    ) -> Result<bool, DomainError> {
        self.0
            .get(family_id, async {
                let unrevoked: Option<Uuid> = refresh_token::Entity::find()
                    .select_only()
                    .column(refresh_token::Column::Id)
                    .filter(refresh_token::Column::FamilyId.eq(family_id))
                    .filter(refresh_token::Column::RevokedAt.is_null())
                    .into_tuple()
                    .one(db)
                    .await?;
                Ok(unrevoked.is_some())
            })
            .await
    }

    /// Drops what is known of sign-in `family_id`.
    pub fn forget(&self, family_id: Uuid) {
        self.0.forget(family_id);
    }

    /// Drops what is known of every sign-in (after revoking several).
    pub fn forget_all(&self) {
        self.0.forget_all();
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
            must_change_password: false,
        }
    }

    #[test]
    fn remembered_states_are_fresh_until_forgotten() {
        let states = UserStates::default();
        let id = Uuid::now_v7();
        assert_eq!(states.0.fresh(id), None);
        states.0.remember(id, Instant::now(), Some(state(3)));
        assert_eq!(states.0.fresh(id), Some(Some(state(3))));
        states.forget(id);
        assert_eq!(states.0.fresh(id), None);
    }

    #[test]
    fn old_states_are_not_fresh() {
        let states = UserStates::default();
        let id = Uuid::now_v7();
        let long_ago = Instant::now() - FRESH_FOR * 2;
        states.0.remember(id, long_ago, Some(state(1)));
        assert_eq!(states.0.fresh(id), None);
    }

    #[test]
    fn every_session_can_be_forgotten_at_once() {
        let sessions = SessionStates::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        sessions.0.remember(a, Instant::now(), true);
        sessions.0.remember(b, Instant::now(), true);
        sessions.forget(a);
        assert_eq!(sessions.0.fresh(a), None);
        assert_eq!(sessions.0.fresh(b), Some(true));
        sessions.forget_all();
        assert_eq!(sessions.0.fresh(b), None);
    }

    #[tokio::test]
    async fn a_read_begun_before_a_forget_is_not_remembered() {
        let sessions = SessionStates::default();
        let id = Uuid::now_v7();
        let live = sessions
            .0
            .get(id, async {
                sessions.forget(id);
                Ok(true)
            })
            .await
            .unwrap();
        assert!(live);
        assert_eq!(sessions.0.fresh(id), None);
    }
}
