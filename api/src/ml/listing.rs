//! What a recommendation list shows of each item (SKU, name, whether it is
//! active), kept in memory so that serving a list reads no item rows.
//!
//! The listing follows the `items` table: an item changed through this
//! replica is noted as soon as the change is committed, and every model poll
//! reads the rows changed since the previous one (or all rows, when the count
//! shows a deletion or an insertion it has not seen). A change made through
//! another replica is therefore served within one poll interval.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

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
    /// The row version this was read at; an older read never replaces a newer one.
    pub version: i32,
}

impl From<&item::Model> for ListedItem {
    fn from(row: &item::Model) -> Self {
        Self {
            sku: row.sku.clone(),
            name: row.name.clone(),
            active: row.active,
            version: row.version,
        }
    }
}

#[derive(Default)]
struct Entries {
    items: HashMap<Uuid, Arc<ListedItem>>,
    /// The newest `updated_at` read so far.
    read_until: Option<DateTime<Utc>>,
}

impl Entries {
    fn put(&mut self, id: Uuid, listed: ListedItem) {
        match self.items.get(&id) {
            Some(known) if known.version > listed.version => {}
            _ => {
                self.items.insert(id, Arc::new(listed));
            }
        }
    }
}

/// Every item, as a recommendation list shows it.
#[derive(Default)]
pub struct ItemListing {
    entries: RwLock<Entries>,
}

type Row = (Uuid, String, String, bool, i32, DateTime<Utc>);

impl ItemListing {
    /// How item `id` is shown, or `None` when it is not (or no longer) in the catalogue.
    pub fn get(&self, id: &Uuid) -> Option<Arc<ListedItem>> {
        self.entries.read().ok()?.items.get(id).cloned()
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
        }
    }

    fn len(&self) -> usize {
        self.entries.read().map(|e| e.items.len()).unwrap_or(0)
    }

    fn read_until(&self) -> Option<DateTime<Utc>> {
        self.entries.read().ok()?.read_until
    }

    /// Reads the items changed since the last refresh; reads them all on the
    /// first call, or when the number of items differs from the listing's.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), anyhow::Error> {
        let total = item::Entity::find().count(db).await?;
        let since = self
            .read_until()
            .filter(|_| total == self.len() as u64)
            .map(|until| until - OVERLAP);
        let mut query = item::Entity::find().select_only().columns([
            Column::Id,
            Column::Sku,
            Column::Name,
            Column::Active,
            Column::Version,
            Column::UpdatedAt,
        ]);
        if let Some(since) = since {
            query = query.filter(Column::UpdatedAt.gte(since));
        }
        let rows: Vec<Row> = query.into_tuple().all(db).await?;
        let mut entries = self
            .entries
            .write()
            .map_err(|_| anyhow::anyhow!("item listing lock poisoned"))?;
        if since.is_none() {
            let present: HashSet<Uuid> = rows.iter().map(|(id, ..)| *id).collect();
            entries.items.retain(|id, _| present.contains(id));
        }
        for (id, sku, name, active, version, updated_at) in rows {
            entries.read_until = entries.read_until.max(Some(updated_at));
            entries.put(
                id,
                ListedItem {
                    sku,
                    name,
                    active,
                    version,
                },
            );
        }
        Ok(())
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
            version,
        }
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
