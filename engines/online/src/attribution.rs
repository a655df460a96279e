//! Last-touch attribution of actions to the exposures that caused them.
//!
//! An [`Exposure`] is one list of recommendations served to a customer; an
//! [`Action`] is something a customer did with an item (a click, a
//! purchase, ...). [`attribute`] links each action to at most one exposure:
//!
//! 1. an action carrying an explicit exposure id goes to that exposure when
//!    it is among the inputs, whatever its time, and to nothing otherwise;
//! 2. any other action goes to the latest exposure of the same customer
//!    that showed the item, at or before the action and no more than
//!    `window` before it (ties on time: the larger exposure id).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One list of recommendations served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    /// The exposure's id, as logged and echoed back by clients.
    pub id: Uuid,
    /// The customer it was served to; `None` for anonymous traffic, which
    /// only explicit attribution can reach.
    pub customer: Option<Uuid>,
    /// The items served, in rank order.
    pub items: Vec<Uuid>,
    /// The impressions a client confirmed; `None` means every item in
    /// `items` counts as shown.
    pub shown: Option<Vec<Uuid>>,
    /// When it was served.
    pub at: DateTime<Utc>,
}

impl Exposure {
    /// The items that count as shown: `shown` when confirmed, else `items`.
    pub fn shown_items(&self) -> &[Uuid] {
        self.shown.as_deref().unwrap_or(&self.items)
    }

    /// The distinct shown items, ordered by id.
    pub fn distinct_shown(&self) -> BTreeSet<Uuid> {
        self.shown_items().iter().copied().collect()
    }
}

/// Something a customer did with an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Who acted.
    pub customer: Uuid,
    /// On which item.
    pub item: Uuid,
    /// The kind of action, e.g. `"click"` or `"purchase"`.
    pub kind: String,
    /// A value such as a purchase amount, if any.
    pub value: Option<f64>,
    /// When.
    pub at: DateTime<Utc>,
    /// The exposure the client says the action came from, if it knows.
    pub exposure: Option<Uuid>,
}

/// An action attributed to an exposure, as indices into the slices given
/// to [`attribute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attributed {
    /// Index into the actions.
    pub action: usize,
    /// Index into the exposures.
    pub exposure: usize,
}

/// Exposures of one (customer, item) pair, sorted by (time, id).
type Touches = Vec<(DateTime<Utc>, Uuid, usize)>;

/// Attributes each action to at most one exposure (see the module docs for
/// the rule); the result is ordered by action index, one entry per
/// attributed action.
///
/// An explicit exposure id is honoured whatever the customer or time of
/// the exposure; when several exposures share an id, the first wins. Cost:
/// `O((E·k + A) log(E·k))` for `E` exposures of `k` shown items and `A`
/// actions.
pub fn attribute(exposures: &[Exposure], actions: &[Action], window: Duration) -> Vec<Attributed> {
    let mut by_id: HashMap<Uuid, usize> = HashMap::with_capacity(exposures.len());
    let mut touches: HashMap<(Uuid, Uuid), Touches> = HashMap::new();
    for (index, exposure) in exposures.iter().enumerate() {
        by_id.entry(exposure.id).or_insert(index);
        if let Some(customer) = exposure.customer {
            for item in exposure.distinct_shown() {
                touches.entry((customer, item)).or_default().push((
                    exposure.at,
                    exposure.id,
                    index,
                ));
            }
        }
    }
    for list in touches.values_mut() {
        list.sort_unstable();
    }
    actions
        .iter()
        .enumerate()
        .filter_map(|(action, act)| {
            let exposure = match act.exposure {
                Some(id) => by_id.get(&id).copied(),
                None => last_touch(touches.get(&(act.customer, act.item))?, act.at, window),
            }?;
            Some(Attributed { action, exposure })
        })
        .collect()
}

/// The latest touch at or before `at` and no earlier than `at - window`.
fn last_touch(list: &Touches, at: DateTime<Utc>, window: Duration) -> Option<usize> {
    let after = list.partition_point(|&(time, _, _)| time <= at);
    let &(time, _, index) = list.get(after.checked_sub(1)?)?;
    // A window reaching past the last representable time has no end.
    let within = time.checked_add_signed(window).is_none_or(|end| at <= end);
    within.then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn hour(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap()
    }

    fn exposure(n: u128, customer: u128, items: &[u128], at: i64) -> Exposure {
        Exposure {
            id: id(n),
            customer: Some(id(customer)),
            items: items.iter().map(|&i| id(i)).collect(),
            shown: None,
            at: hour(at),
        }
    }

    fn action(customer: u128, item: u128, at: i64, explicit: Option<u128>) -> Action {
        Action {
            customer: id(customer),
            item: id(item),
            kind: "click".into(),
            value: None,
            at: hour(at),
            exposure: explicit.map(id),
        }
    }

    fn pairs(attributed: &[Attributed]) -> Vec<(usize, usize)> {
        attributed.iter().map(|a| (a.action, a.exposure)).collect()
    }

    const DAY: Duration = Duration::hours(24);

    #[test]
    fn last_touch_wins_over_an_earlier_exposure() {
        // Customer 1 sees item 10 at hours 0 and 5 and clicks it at hour 6:
        // both are within 24 h, the one at hour 5 (index 1) is the last.
        let exposures = [exposure(100, 1, &[10, 11], 0), exposure(101, 1, &[10], 5)];
        let actions = [action(1, 10, 6, None), action(1, 11, 6, None)];
        // Item 11 was only in the first exposure.
        assert_eq!(
            pairs(&attribute(&exposures, &actions, DAY)),
            [(0, 1), (1, 0)]
        );
    }

    #[test]
    fn action_at_the_exposure_time_and_window_edge() {
        let exposures = [exposure(100, 1, &[10], 0)];
        // At hour 0 (same instant) and exactly at hour 24 (the edge): both
        // count; at hour 25 and before the exposure (hour -1): neither.
        let actions = [
            action(1, 10, 0, None),
            action(1, 10, 24, None),
            action(1, 10, 25, None),
            action(1, 10, -1, None),
        ];
        assert_eq!(
            pairs(&attribute(&exposures, &actions, DAY)),
            [(0, 0), (1, 0)]
        );
    }

    #[test]
    fn ties_on_time_go_to_the_larger_id() {
        // Two exposures at hour 2 with ids 7 and 9: id 9 (index 0) wins.
        let exposures = [exposure(9, 1, &[10], 2), exposure(7, 1, &[10], 2)];
        let actions = [action(1, 10, 3, None)];
        assert_eq!(pairs(&attribute(&exposures, &actions, DAY)), [(0, 0)]);
    }

    #[test]
    fn unshown_item_is_not_attributed() {
        // Items 10 and 11 served, only 10 confirmed shown.
        let mut e = exposure(100, 1, &[10, 11], 0);
        e.shown = Some(vec![id(10)]);
        let actions = [action(1, 11, 1, None), action(1, 10, 1, None)];
        assert_eq!(pairs(&attribute(&[e], &actions, DAY)), [(1, 0)]);
    }

    #[test]
    fn explicit_id_wins_even_when_another_exposure_is_later() {
        // The click names exposure 100 (hour 0, 30 h before: outside the
        // window too) although exposure 101 at hour 29 also showed item 10.
        let exposures = [exposure(100, 1, &[10], 0), exposure(101, 1, &[10], 29)];
        let actions = [
            action(1, 10, 30, Some(100)),
            // An unknown explicit id attributes to nothing, not last touch.
            action(1, 10, 30, Some(999)),
        ];
        assert_eq!(pairs(&attribute(&exposures, &actions, DAY)), [(0, 0)]);
    }

    #[test]
    fn another_customers_action_is_not_attributed() {
        let exposures = [exposure(100, 1, &[10], 0)];
        let actions = [action(2, 10, 1, None)];
        assert!(attribute(&exposures, &actions, DAY).is_empty());
        // Anonymous exposures are reachable only explicitly.
        let mut anonymous = exposure(100, 1, &[10], 0);
        anonymous.customer = None;
        let actions = [action(1, 10, 1, None), action(1, 10, 1, Some(100))];
        assert_eq!(pairs(&attribute(&[anonymous], &actions, DAY)), [(1, 0)]);
    }
}
