//! Baskets from plain interaction records: a basket is one `basket_id` of a
//! customer or, where a record has none, everything a customer touched on
//! one UTC day.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Seconds in a UTC day (unix time has no leap seconds).
const DAY: i64 = 86_400;

/// One interaction as the basket builder sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Dense customer index.
    pub customer: u32,
    /// The order or basket the interaction belongs to, if known.
    pub basket_id: Option<String>,
    /// Dense item index.
    pub item: u32,
    /// When it happened, unix seconds (UTC).
    pub occurred_at: i64,
}

/// What makes a customer's interactions one basket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum BasketKey {
    /// A given basket id.
    Id(String),
    /// No basket id: the UTC day, as days since 1970-01-01 (negative before).
    Day(i64),
}

/// One basket: a customer's set of items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    /// The customer it belongs to.
    pub customer: u32,
    /// The basket id, or the day of an id-less basket.
    pub key: BasketKey,
    /// The latest `occurred_at` among its records.
    pub last_at: i64,
    /// Its distinct items, ascending.
    pub items: Vec<u32>,
}

/// The UTC day of a unix timestamp, as days since the epoch.
pub fn utc_day(occurred_at: i64) -> i64 {
    occurred_at.div_euclid(DAY)
}

/// Groups records into baskets.
///
/// Records with a `basket_id` form one basket per (customer, basket id): ids
/// are scoped by customer, so two customers' "order 1" never merge. Records
/// without one form one basket per (customer, UTC day); an id-less record
/// never joins an id's basket even on the same day. Baskets come ordered by
/// customer, then `last_at`, then key, so the last of a customer's is their
/// latest.
pub fn baskets_from_records(records: &[Record]) -> Vec<Basket> {
    let mut groups: BTreeMap<(u32, BasketKeyRef<'_>), (i64, Vec<u32>)> = BTreeMap::new();
    for record in records {
        let key = match &record.basket_id {
            Some(id) => BasketKeyRef::Id(id),
            None => BasketKeyRef::Day(utc_day(record.occurred_at)),
        };
        let entry = groups
            .entry((record.customer, key))
            .or_insert((record.occurred_at, Vec::new()));
        entry.0 = entry.0.max(record.occurred_at);
        entry.1.push(record.item);
    }
    let mut out: Vec<Basket> = groups
        .into_iter()
        .map(|((customer, key), (last_at, mut items))| {
            items.sort_unstable();
            items.dedup();
            Basket {
                customer,
                key: key.to_owned_key(),
                last_at,
                items,
            }
        })
        .collect();
    out.sort_by(|a, b| (a.customer, a.last_at, &a.key).cmp(&(b.customer, b.last_at, &b.key)));
    out
}

/// One basket per customer holding every item they touched (the MovieLens
/// benchmark's basket), ordered by customer; customers without records have none.
pub fn baskets_by_customer(records: &[Record]) -> Vec<Basket> {
    let mut groups: BTreeMap<u32, (i64, Vec<u32>)> = BTreeMap::new();
    for r in records {
        let entry = groups
            .entry(r.customer)
            .or_insert((r.occurred_at, Vec::new()));
        entry.0 = entry.0.max(r.occurred_at);
        entry.1.push(r.item);
    }
    groups
        .into_iter()
        .map(|(customer, (last_at, mut items))| {
            items.sort_unstable();
            items.dedup();
            Basket {
                customer,
                key: BasketKey::Id(String::new()),
                last_at,
                items,
            }
        })
        .collect()
}

/// Borrowed form of [`BasketKey`], so grouping clones no id.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum BasketKeyRef<'a> {
    Id(&'a str),
    Day(i64),
}

impl BasketKeyRef<'_> {
    fn to_owned_key(&self) -> BasketKey {
        match self {
            Self::Id(id) => BasketKey::Id((*id).to_owned()),
            Self::Day(day) => BasketKey::Day(*day),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(customer: u32, basket_id: Option<&str>, item: u32, occurred_at: i64) -> Record {
        Record {
            customer,
            basket_id: basket_id.map(str::to_owned),
            item,
            occurred_at,
        }
    }

    #[test]
    fn without_basket_ids_a_basket_is_a_customer_utc_day() {
        let day = 86_400;
        let records = [
            rec(0, None, 5, 10 * day + 1),
            rec(0, None, 3, 10 * day + day - 1), // same UTC day, last second
            rec(0, None, 5, 10 * day + 7),       // duplicate item
            rec(0, None, 4, 11 * day),           // next day, first second
            rec(1, None, 3, 10 * day + 2),       // another customer, same day
            rec(0, Some("o-1"), 9, 10 * day + 3), // an id: its own basket
            rec(2, None, 1, -1),                 // 1969-12-31
            rec(2, None, 2, 0),                  // 1970-01-01
        ];
        let baskets = baskets_from_records(&records);
        let got: Vec<(u32, BasketKey, Vec<u32>)> = baskets
            .iter()
            .map(|b| (b.customer, b.key.clone(), b.items.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, BasketKey::Id("o-1".into()), vec![9]),
                (0, BasketKey::Day(10), vec![3, 5]),
                (0, BasketKey::Day(11), vec![4]),
                (1, BasketKey::Day(10), vec![3]),
                (2, BasketKey::Day(-1), vec![1]),
                (2, BasketKey::Day(0), vec![2]),
            ]
        );
        assert_eq!(baskets[1].last_at, 10 * day + day - 1);
    }

    #[test]
    fn basket_ids_span_days_and_are_scoped_by_customer() {
        let day = 86_400;
        let records = [
            rec(0, Some("a"), 1, 0),
            rec(0, Some("a"), 2, 5 * day),
            rec(1, Some("a"), 3, day),
            rec(1, None, 4, day),
        ];
        let baskets = baskets_from_records(&records);
        assert_eq!(baskets.len(), 3);
        assert_eq!(baskets[0].items, vec![1, 2]);
        assert_eq!(baskets[0].last_at, 5 * day);
        assert_eq!(baskets[1].items, vec![3]);
        assert_eq!(baskets[2].key, BasketKey::Day(1));
        let whole = baskets_by_customer(&records);
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[1].items, vec![3, 4]);
    }
}
