//! The items each customer said they are not interested in (interactions of
//! kind `not_interested`), which are never recommended to them again,
//! whether or not already-seen items are left out. Kept in memory, as the
//! customer activity is, so that serving reads nothing from the database:
//! noted when committed through this replica, and read from the log at
//! every model poll. Interactions are never changed once recorded, so the
//! memory only grows; when polls keep failing it stops answering and
//! serving reads the log.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::activity::{OVERLAP, STALE_AFTER};
use crate::domain::InteractionKind;
use crate::entities::interaction;

#[derive(Default)]
struct State {
    by_customer: HashMap<Uuid, HashSet<Uuid>>,
    /// When the last poll started; `None` before the first.
    read_at: Option<DateTime<Utc>>,
}

/// Every customer's dismissed items.
#[derive(Default)]
pub struct Dismissals {
    state: RwLock<State>,
}

/// The stored name of the kind that dismisses an item.
fn kind() -> &'static str {
    InteractionKind::NotInterested.as_str()
}

impl Dismissals {
    /// The items `customer` dismissed, or `None` when memory is not fresh
    /// enough to answer and the log must be read ([`read_for`]).
    pub fn of(&self, customer: &Uuid) -> Option<Vec<Uuid>> {
        let state = self.state.read().ok()?;
        if state.read_at? < Utc::now() - STALE_AFTER {
            return None;
        }
        Some(
            state
                .by_customer
                .get(customer)
                .map(|items| items.iter().copied().collect())
                .unwrap_or_default(),
        )
    }

    /// Records the dismissals among interactions committed through this replica.
    pub fn note_interactions(&self, rows: &[interaction::Model]) {
        let Ok(mut state) = self.state.write() else {
            return;
        };
        for row in rows.iter().filter(|row| row.kind == kind()) {
            if let Some(item) = row.item_id {
                state
                    .by_customer
                    .entry(row.customer_id)
                    .or_default()
                    .insert(item);
            }
        }
    }

    /// Reads the dismissals recorded since the previous poll (every one,
    /// on the first).
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        let since = self
            .state
            .read()
            .map_err(|_| anyhow::anyhow!("dismissals lock poisoned"))?
            .read_at;
        let started = Utc::now();
        let rows = read(db, None, since.map(|at| at - OVERLAP)).await?;
        let mut state = self
            .state
            .write()
            .map_err(|_| anyhow::anyhow!("dismissals lock poisoned"))?;
        for (customer, item) in rows {
            state.by_customer.entry(customer).or_default().insert(item);
        }
        state.read_at = Some(started);
        Ok(())
    }
}

/// The items `customer` dismissed, from the log.
pub async fn read_for(
    db: &DatabaseConnection,
    customer: Uuid,
) -> Result<Vec<Uuid>, sea_orm::DbErr> {
    Ok(read(db, Some(customer), None)
        .await?
        .into_iter()
        .map(|(_, item)| item)
        .collect())
}

/// (customer, item) of the dismissals of `customer` (or everyone's)
/// recorded at or after `since` (or ever), streamed.
async fn read(
    db: &DatabaseConnection,
    customer: Option<Uuid>,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(Uuid, Uuid)>, sea_orm::DbErr> {
    use interaction::Column as I;
    let mut query = interaction::Entity::find()
        .select_only()
        .columns([I::CustomerId, I::ItemId])
        .filter(I::Kind.eq(kind()))
        .filter(I::ItemId.is_not_null());
    if let Some(customer) = customer {
        query = query.filter(I::CustomerId.eq(customer));
    }
    if let Some(since) = since {
        query = query.filter(I::CreatedAt.gte(since));
    }
    let mut rows = query
        .into_tuple::<(Uuid, Option<Uuid>)>()
        .stream(db)
        .await?;
    let mut out = Vec::new();
    while let Some((customer, item)) = rows.try_next().await? {
        out.extend(item.map(|item| (customer, item)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_answers_only_once_read_and_while_fresh() {
        let dismissals = Dismissals::default();
        let customer = Uuid::now_v7();
        assert_eq!(dismissals.of(&customer), None);
        if let Ok(mut state) = dismissals.state.write() {
            state.read_at = Some(Utc::now());
            state
                .by_customer
                .entry(customer)
                .or_default()
                .insert(Uuid::nil());
        }
        assert_eq!(dismissals.of(&customer), Some(vec![Uuid::nil()]));
        assert_eq!(dismissals.of(&Uuid::now_v7()), Some(vec![]));
        if let Ok(mut state) = dismissals.state.write() {
            state.read_at = Some(Utc::now() - STALE_AFTER - chrono::TimeDelta::seconds(1));
        }
        assert_eq!(dismissals.of(&customer), None);
    }
}
