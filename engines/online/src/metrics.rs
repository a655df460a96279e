//! Online metrics per hour or day: what was shown and what it led to.
//!
//! [`online_metrics`] groups exposures into [`Bucket`]s by the exposure's
//! time (UTC hour or day start) and counts, per bucket, the exposures, the
//! customers reached, the impressions, the attributed actions per kind and
//! their rates, the revenue and Gorse's positive feedback rate. An action
//! counts in the bucket of the exposure it is attributed to, whenever it
//! happened.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::attribution::{Action, Attributed, Exposure};

/// The width of a [`Bucket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// One UTC hour.
    Hour,
    /// One UTC day.
    Day,
}

impl Interval {
    /// The interval's length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Self::Hour => 3_600,
            Self::Day => 86_400,
        }
    }

    /// The start of the interval containing `at` (UTC).
    pub fn start(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let seconds = at.timestamp().div_euclid(self.seconds()) * self.seconds();
        // Rounding down stays within chrono's range except at its very
        // first interval, where `at` itself is the best answer.
        DateTime::from_timestamp(seconds, 0).unwrap_or(at)
    }
}

/// The online metrics of the exposures served in one interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// The interval's start (UTC).
    pub start: DateTime<Utc>,
    /// Exposures served in the interval.
    pub exposures: u64,
    /// Distinct known customers they were served to.
    pub customers: u64,
    /// Shown items, the distinct shown items of each exposure summed.
    pub impressions: u64,
    /// Attributed (exposure, item) pairs per action kind, each pair counted
    /// once per kind; only items the exposure showed count.
    pub actions: BTreeMap<String, u64>,
    /// `actions[kind] / impressions` (0 when no impressions).
    pub rates: BTreeMap<String, f64>,
    /// Sum of the `value` of every attributed action of the revenue kind.
    pub revenue: f64,
    /// Gorse's positive feedback rate: for each customer exposed in the
    /// interval, the distinct shown items they acted on (any attributed
    /// kind) over the distinct items shown to them; the mean over those
    /// customers (0 when none).
    pub positive_feedback_rate: f64,
}

/// Running totals of one bucket.
#[derive(Default)]
struct Totals {
    exposures: u64,
    impressions: u64,
    pairs: BTreeMap<String, HashSet<(usize, Uuid)>>,
    revenue: f64,
    shown: HashMap<Uuid, BTreeSet<Uuid>>,
    acted: HashMap<Uuid, HashSet<Uuid>>,
}

impl Totals {
    fn finish(self, start: DateTime<Utc>) -> Bucket {
        let actions: BTreeMap<String, u64> = self
            .pairs
            .into_iter()
            .map(|(kind, pairs)| (kind, pairs.len() as u64))
            .collect();
        let rates = actions
            .iter()
            .map(|(kind, &count)| (kind.clone(), ratio(count, self.impressions)))
            .collect();
        let per_customer: Vec<f64> = self
            .shown
            .iter()
            .filter(|(_, shown)| !shown.is_empty())
            .map(|(customer, shown)| {
                let acted = self.acted.get(customer).map_or(0, HashSet::len);
                ratio(acted as u64, shown.len() as u64)
            })
            .collect();
        let positive_feedback_rate = if per_customer.is_empty() {
            0.0
        } else {
            per_customer.iter().sum::<f64>() / per_customer.len() as f64
        };
        Bucket {
            start,
            exposures: self.exposures,
            customers: self.shown.len() as u64,
            impressions: self.impressions,
            actions,
            rates,
            revenue: self.revenue,
            positive_feedback_rate,
        }
    }
}

/// `numerator / denominator`, 0 when the denominator is 0.
fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// The online metrics of `exposures` per `interval`, ascending by start,
/// only intervals with exposures. `attributed` is [`crate::attribute`]'s
/// output for these `exposures` and `actions` (out-of-range indices are
/// skipped); `revenue_kind` (e.g. `"purchase"`) names the action kind whose
/// values sum to revenue (a missing or non-finite value counts 0).
pub fn online_metrics(
    exposures: &[Exposure],
    actions: &[Action],
    attributed: &[Attributed],
    interval: Interval,
    revenue_kind: &str,
) -> Vec<Bucket> {
    let shown: Vec<BTreeSet<Uuid>> = exposures.iter().map(Exposure::distinct_shown).collect();
    let starts: Vec<DateTime<Utc>> = exposures.iter().map(|e| interval.start(e.at)).collect();
    let mut buckets: BTreeMap<DateTime<Utc>, Totals> = BTreeMap::new();
    for ((exposure, items), &start) in exposures.iter().zip(&shown).zip(&starts) {
        let totals = buckets.entry(start).or_default();
        totals.exposures += 1;
        totals.impressions += items.len() as u64;
        if let Some(customer) = exposure.customer {
            totals
                .shown
                .entry(customer)
                .or_default()
                .extend(items.iter().copied());
        }
    }
    for link in attributed {
        let (Some(action), Some(exposure), Some(start)) = (
            actions.get(link.action),
            exposures.get(link.exposure),
            starts.get(link.exposure),
        ) else {
            continue;
        };
        let Some(totals) = buckets.get_mut(start) else {
            continue;
        };
        if action.kind == revenue_kind {
            totals.revenue += action.value.filter(|v| v.is_finite()).unwrap_or(0.0);
        }
        if !shown[link.exposure].contains(&action.item) {
            continue;
        }
        totals
            .pairs
            .entry(action.kind.clone())
            .or_default()
            .insert((link.exposure, action.item));
        if let Some(customer) = exposure.customer {
            totals
                .acted
                .entry(customer)
                .or_default()
                .insert(action.item);
        }
    }
    buckets
        .into_iter()
        .map(|(start, totals)| totals.finish(start))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute;
    use chrono::Duration;

    /// 2024-01-01T00:00:00Z.
    const BASE: i64 = 1_704_067_200;

    fn at(day: i64, hour: i64, minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(BASE + day * 86_400 + hour * 3_600 + minute * 60, 0).unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn ids(items: &[u128]) -> Vec<Uuid> {
        items.iter().map(|&i| id(i)).collect()
    }

    fn exposure(n: u128, customer: u128, items: &[u128], when: DateTime<Utc>) -> Exposure {
        Exposure {
            id: id(n),
            customer: Some(id(customer)),
            items: ids(items),
            shown: None,
            at: when,
        }
    }

    fn action(
        customer: u128,
        item: u128,
        kind: &str,
        value: Option<f64>,
        when: DateTime<Utc>,
    ) -> Action {
        Action {
            customer: id(customer),
            item: id(item),
            kind: kind.into(),
            value,
            at: when,
            exposure: None,
        }
    }

    /// Customers A = 1, B = 2, C = 3; items 10..=14.
    /// e0: A, 10 11 12 (3 shown), day 0 09:00
    /// e1: B, 10 11 12 served, 10 11 shown (2), day 0 09:30
    /// e2: A, 13 14 (2), day 0 15:00
    /// e3: C, 10 11 (2), day 1 10:00
    /// Actions and their last touch (24 h window):
    /// a0 A click 10 09:10 -> e0; a1 A click 10 09:20 -> e0 (same pair);
    /// a2 A purchase 10 (20) 10:00 -> e0; a3 B click 12 -> unshown, none;
    /// a4 B click 11 -> e1; a5 A click 13 16:00 -> e2;
    /// a6 C purchase 11 (15) day 1 11:00 -> e3; a7 C purchase 11 (5) -> e3.
    fn scenario() -> (Vec<Exposure>, Vec<Action>, Vec<Attributed>) {
        let mut e1 = exposure(101, 2, &[10, 11, 12], at(0, 9, 30));
        e1.shown = Some(ids(&[10, 11]));
        let exposures = vec![
            exposure(100, 1, &[10, 11, 12], at(0, 9, 0)),
            e1,
            exposure(102, 1, &[13, 14], at(0, 15, 0)),
            exposure(103, 3, &[10, 11], at(1, 10, 0)),
        ];
        let actions = vec![
            action(1, 10, "click", None, at(0, 9, 10)),
            action(1, 10, "click", None, at(0, 9, 20)),
            action(1, 10, "purchase", Some(20.0), at(0, 10, 0)),
            action(2, 12, "click", None, at(0, 10, 0)),
            action(2, 11, "click", None, at(0, 10, 0)),
            action(1, 13, "click", None, at(0, 16, 0)),
            action(3, 11, "purchase", Some(15.0), at(1, 11, 0)),
            action(3, 11, "purchase", Some(5.0), at(1, 12, 0)),
        ];
        let attributed = attribute(&exposures, &actions, Duration::hours(24));
        (exposures, actions, attributed)
    }

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} vs {expected}");
    }

    #[test]
    fn scenario_attribution() {
        let (_, _, attributed) = scenario();
        let pairs: Vec<(usize, usize)> =
            attributed.iter().map(|a| (a.action, a.exposure)).collect();
        assert_eq!(
            pairs,
            [(0, 0), (1, 0), (2, 0), (4, 1), (5, 2), (6, 3), (7, 3)]
        );
    }

    #[test]
    fn daily_buckets() {
        let (exposures, actions, attributed) = scenario();
        let days = online_metrics(&exposures, &actions, &attributed, Interval::Day, "purchase");
        assert_eq!(days.len(), 2);
        // Day 0: e0 e1 e2, customers A and B, impressions 3 + 2 + 2 = 7.
        let d0 = &days[0];
        assert_eq!(d0.start, at(0, 0, 0));
        assert_eq!((d0.exposures, d0.customers, d0.impressions), (3, 2, 7));
        // Clicks: (e0,10) (e1,11) (e2,13) = 3; purchases: (e0,10) = 1.
        assert_eq!(d0.actions["click"], 3);
        assert_eq!(d0.actions["purchase"], 1);
        close(d0.rates["click"], 3.0 / 7.0);
        close(d0.rates["purchase"], 1.0 / 7.0);
        close(d0.revenue, 20.0);
        // A: acted on {10, 13} of {10..=14} = 0.4; B: {11} of {10, 11} =
        // 0.5; mean 0.45.
        close(d0.positive_feedback_rate, 0.45);
        // Day 1: e3 only; purchase pair (e3,11) once, revenue 15 + 5 = 20;
        // C acted on 1 of 2 items.
        let d1 = &days[1];
        assert_eq!(d1.start, at(1, 0, 0));
        assert_eq!((d1.exposures, d1.customers, d1.impressions), (1, 1, 2));
        assert_eq!(d1.actions.len(), 1);
        assert_eq!(d1.actions["purchase"], 1);
        close(d1.rates["purchase"], 0.5);
        close(d1.revenue, 20.0);
        close(d1.positive_feedback_rate, 0.5);
    }

    #[test]
    fn hourly_buckets() {
        let (exposures, actions, attributed) = scenario();
        let hours = online_metrics(
            &exposures,
            &actions,
            &attributed,
            Interval::Hour,
            "purchase",
        );
        let starts: Vec<_> = hours.iter().map(|b| b.start).collect();
        assert_eq!(starts, [at(0, 9, 0), at(0, 15, 0), at(1, 10, 0)]);
        // 09:00: e0 and e1, 5 impressions, clicks (e0,10) (e1,11), the
        // purchase of a2 (20); A 1 of 3, B 1 of 2: mean (1/3 + 1/2) / 2.
        let h9 = &hours[0];
        assert_eq!((h9.exposures, h9.customers, h9.impressions), (2, 2, 5));
        assert_eq!(h9.actions["click"], 2);
        close(h9.rates["click"], 0.4);
        close(h9.revenue, 20.0);
        close(h9.positive_feedback_rate, 5.0 / 12.0);
        // 15:00: e2, click (e2,13): 1 of 2.
        let h15 = &hours[1];
        assert_eq!((h15.exposures, h15.impressions), (1, 2));
        close(h15.rates["click"], 0.5);
        close(h15.revenue, 0.0);
        close(h15.positive_feedback_rate, 0.5);
    }

    #[test]
    fn empty_and_anonymous() {
        assert!(online_metrics(&[], &[], &[], Interval::Day, "purchase").is_empty());
        // An anonymous exposure with nothing shown: counted, no customer,
        // no impressions, rates and feedback 0.
        let mut e = exposure(1, 1, &[], at(0, 1, 0));
        e.customer = None;
        let buckets = online_metrics(&[e], &[], &[], Interval::Hour, "purchase");
        assert_eq!(buckets.len(), 1);
        assert_eq!((buckets[0].exposures, buckets[0].customers), (1, 0));
        assert_eq!(buckets[0].impressions, 0);
        close(buckets[0].positive_feedback_rate, 0.0);
    }

    #[test]
    fn interval_start_rounds_down() {
        assert_eq!(Interval::Hour.start(at(0, 9, 59)), at(0, 9, 0));
        assert_eq!(Interval::Day.start(at(2, 23, 59)), at(2, 0, 0));
        // Before the epoch still rounds down, not towards zero.
        let before = DateTime::from_timestamp(-1, 0).unwrap();
        assert_eq!(Interval::Day.start(before).timestamp(), -86_400);
    }
}
