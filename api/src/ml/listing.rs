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
use futures_util::TryStreamExt;
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

    /// Whether the listing holds item `id` at `version` or later, or knows
    /// it deleted: a row read at that version brings nothing new.
    fn holds(&self, id: &Uuid, version: i32) -> bool {
        self.deleted.contains(id) || self.items.get(id).is_some_and(|k| k.version >= version)
    }

    /// Applies a read of the database; `complete` when it read every item.
    fn apply(&mut self, read: Read, complete: bool) {
        if complete {
            let present: HashSet<Uuid> = read.ids.into_iter().collect();
            self.items.retain(|id, _| present.contains(id));
        }
        for (id, listed) in read.newer {
            self.put(id, listed);
        }
    }
}

/// What one read of the items brought: the id of every row read, and the
/// rows newer than the listing held when they were read. After a bulk
/// change, every poll for [`OVERLAP`] reads all the rows it touched again;
/// keeping only those that changed keeps the polls from copying the
/// catalogue each time.
#[derive(Default)]
struct Read {
    ids: Vec<Uuid>,
    newer: Vec<(Uuid, ListedItem)>,
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
            let read = self.read(db, Some(since)).await?;
            self.write()?.apply(read, false);
        }
        let total = item::Entity::find().count(db).await?;
        if since.is_none() || total != self.len() as u64 {
            let read = self.read(db, None).await?;
            self.write()?.apply(read, true);
        }
        self.write()?.polled_at = Some(started);
        Ok(())
    }

    /// Streams the items updated at or after `since` (or every item),
    /// keeping the rows newer than the listing holds.
    async fn read(
        &self,
        db: &DatabaseConnection,
        since: Option<DateTime<Utc>>,
    ) -> Result<Read, anyhow::Error> {
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
        let mut rows = query.into_tuple::<Row>().stream(db).await?;
        let mut read = Read::default();
        while let Some((id, sku, name, active, category, tags, price, version)) =
            rows.try_next().await?
        {
            read.ids.push(id);
            let held = self.entries.read().is_ok_and(|e| e.holds(&id, version));
            if !held {
                let listed = ListedItem {
                    sku,
                    name,
                    active,
                    category,
                    tags: tags_of(&tags),
                    price,
                    version,
                };
                read.newer.push((id, listed));
            }
        }
        Ok(read)
    }

    fn write(&self) -> Result<std::sync::RwLockWriteGuard<'_, Entries>, anyhow::Error> {
        self.entries
            .write()
            .map_err(|_| anyhow::anyhow!("item listing lock poisoned"))
    }
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

    #[test]
    fn a_row_read_again_at_the_version_held_brings_nothing_new() {
        let mut entries = Entries::default();
        let (id, gone) = (Uuid::now_v7(), Uuid::now_v7());
        entries.put(id, listed("held", 3));
        entries.deleted.insert(gone);
        assert!(entries.holds(&id, 3));
        assert!(entries.holds(&id, 2));
        assert!(!entries.holds(&id, 4));
        assert!(entries.holds(&gone, 1));
        assert!(!entries.holds(&Uuid::now_v7(), 1));
    }

    #[test]
    fn a_complete_read_drops_the_items_it_did_not_see() {
        let mut entries = Entries::default();
        let (kept, dropped) = (Uuid::now_v7(), Uuid::now_v7());
        entries.put(kept, listed("kept", 1));
        entries.put(dropped, listed("dropped", 1));
        let read = Read {
            ids: vec![kept],
            newer: Vec::new(),
        };
        entries.apply(read, true);
        assert_eq!(entries.items.len(), 1);
        assert_eq!(entries.items[&kept].name, "kept");
    }
}
