//! What a recommendation list shows of each item (SKU, name, whether it is
//! active), kept in memory so that serving a list reads no item rows.
//!
//! The listing follows the `items` table: an item changed through this
//! replica is noted as soon as the change is committed, and every model poll
//! reads the rows changed since the previous poll started (30 s back, for
//! changes stamped before a poll and committed after it), then all rows when the
//! count shows a deletion or an insertion it has not seen. A change made
//! through another replica is therefore served within one poll interval, as
//! long as the replicas' clocks agree to within those 30 s.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::entities::item::{self, Column};

/// How far back each poll reads again: a change stamped before one poll can
/// commit after it.
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// The columns of an item that a recommendation list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedItem {
    pub sku: String,
    pub name: String,
    pub active: bool,
    /// What request filters test: category, tags and price.
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub price: f64,
    /// The row version this was read at; an older read never replaces a newer one.
    pub version: i32,
}

impl From<&item::Model> for ListedItem {
    fn from(row: &item::Model) -> Self {
        Self {
            sku: row.sku.clone(),
            name: row.name.clone(),
            active: row.active,
            category: row.category.clone(),
            tags: tags_of(&row.tags),
            price: row.price,
            version: row.version,
        }
    }
}

#[derive(Default)]
struct Entries {
    items: HashMap<Uuid, Arc<ListedItem>>,
    /// Items deleted through this replica: a read that started before the
    /// deletion must not bring them back (ids are never reused).
    deleted: HashSet<Uuid>,
    /// When the last successful refresh started. Polls read again from 30 s
    /// before it, not from the newest change read: after a bulk import,
    /// reading from the newest change would read the whole import at every
    /// poll until the next change.
    polled_at: Option<DateTime<Utc>>,
}

impl Entries {
    fn put(&mut self, id: Uuid, listed: ListedItem) {
        if self.deleted.contains(&id) {
            return;
        }
        match self.items.get(&id) {
            Some(known) if known.version > listed.version => {}
            _ => {
                self.items.insert(id, Arc::new(listed));
            }
        }
    }

    /// Applies rows read from the database; `complete` when they are every item.
    fn apply(&mut self, rows: Vec<Row>, complete: bool) {
        if complete {
            let present: HashSet<Uuid> = rows.iter().map(|(id, ..)| *id).collect();
            self.items.retain(|id, _| present.contains(id));
        }
        for (id, sku, name, active, category, tags, price, version) in rows {
            self.put(
                id,
                ListedItem {
                    sku,
                    name,
                    active,
                    category,
                    tags: tags_of(&tags),
                    price,
                    version,
                },
            );
        }
    }
}

/// Every item, as a recommendation list shows it.
#[derive(Default)]
pub struct ItemListing {
    entries: RwLock<Entries>,
}

/// Id, SKU, name, active, category, tags, price, version.
type Row = (
    Uuid,
    String,
    String,
    bool,
    Option<String>,
    serde_json::Value,
    f64,
    i32,
);

/// The tags of a stored item (a JSON array of strings).
fn tags_of(tags: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(tags.clone()).unwrap_or_default()
}

/// One read of the listing, for a request that looks up many items: a
/// single lock instead of one per item (serving threads contend for the
/// lock's counter, not for its data).
pub struct ListingView<'a> {
    entries: RwLockReadGuard<'a, Entries>,
}

impl ListingView<'_> {
    /// How item `id` is shown, or `None` when it is not (or no longer) in the catalogue.
    pub fn get(&self, id: &Uuid) -> Option<Arc<ListedItem>> {
        self.entries.items.get(id).cloned()
    }
}

impl ItemListing {
    /// A read of the listing; hold it only for work that does not wait.
    pub fn view(&self) -> Result<ListingView<'_>, anyhow::Error> {
        let entries = self
            .entries
            .read()
            .map_err(|_| anyhow::anyhow!("item listing lock poisoned"))?;
        Ok(ListingView { entries })
    }

    /// How item `id` is shown, or `None` when it is not (or no longer) in the catalogue.
    pub fn get(&self, id: &Uuid) -> Option<Arc<ListedItem>> {
        self.view().ok()?.get(id)
    }

    /// A listing of `items`, for tests of what is made from it.
    #[cfg(test)]
    pub fn of(items: impl IntoIterator<Item = (Uuid, ListedItem)>) -> Self {
        let mut entries = Entries::default();
        for (id, listed) in items {
            entries.put(id, listed);
        }
        Self {
            entries: RwLock::new(entries),
        }
    }

    /// Records a committed change of an item made through this replica.
    pub fn note(&self, row: &item::Model) {
        if let Ok(mut entries) = self.entries.write() {
            entries.put(row.id, ListedItem::from(row));
        }
    }

    /// Records the committed deletion of item `id`.
    pub fn forget(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            entries.items.remove(&id);
            entries.deleted.insert(id);
        }
    }

    fn len(&self) -> usize {
        self.entries.read().map(|e| e.items.len()).unwrap_or(0)
    }

    fn polled_at(&self) -> Option<DateTime<Utc>> {
        self.entries.read().ok()?.polled_at
    }

    /// Reads the items changed since the last refresh started, then all of
    /// them on the first call or when the number of items differs from the
    /// listing's (an item was deleted, or created, elsewhere).
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        let started = Utc::now();
        let since = self.polled_at().map(|at| at - OVERLAP);
        if let Some(since) = since {
            let rows = read(db, Some(since)).await?;
            self.write()?.apply(rows, false);
        }
        let total = item::Entity::find().count(db).await?;
        if since.is_none() || total != self.len() as u64 {
            let rows = read(db, None).await?;
            self.write()?.apply(rows, true);
        }
        self.write()?.polled_at = Some(started);
        Ok(())
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Entries>, anyhow::Error> {
        self.entries
            .write()
            .map_err(|_| anyhow::anyhow!("item listing lock poisoned"))
    }
}

/// Items updated at or after `since`, or every item.
async fn read(
    db: &DatabaseConnection,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<Row>, anyhow::Error> {
    let mut query = item::Entity::find().select_only().columns([
        Column::Id,
        Column::Sku,
        Column::Name,
        Column::Active,
        Column::Category,
        Column::Tags,
        Column::Price,
        Column::Version,
    ]);
    if let Some(since) = since {
        query = query.filter(Column::UpdatedAt.gte(since));
    }
    Ok(query.into_tuple().all(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str, version: i32) -> ListedItem {
        ListedItem {
            sku: "sku-1".to_owned(),
            name: name.to_owned(),
            active: true,
            category: None,
            tags: Vec::new(),
            price: 1.0,
            version,
        }
    }

    #[test]
    fn a_deleted_item_does_not_come_back() {
        let mut entries = Entries::default();
        let id = Uuid::now_v7();
        entries.deleted.insert(id);
        entries.put(id, listed("late read", 1));
        assert!(entries.items.is_empty());
    }

    #[test]
    fn an_older_read_never_replaces_a_newer_one() {
        let mut entries = Entries::default();
        let id = Uuid::now_v7();
        entries.put(id, listed("new", 3));
        entries.put(id, listed("old", 2));
        assert_eq!(entries.items[&id].name, "new");
        entries.put(id, listed("newer", 4));
        assert_eq!(entries.items[&id].name, "newer");
    }
}
