//! Recency, frequency and monetary value from plain interaction records
//! (DESIGN.md §5): R in days to a reference date, F as distinct baskets (or
//! distinct UTC days for records without one), M as the sum of values; the
//! features are their `log1p`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::error::SegmentError;
use crate::matrix::Points;

const DAY: f64 = 86_400.0;

/// The names of the three RFM features, in column order.
pub const RFM_FEATURES: [&str; 3] = ["recency_days", "frequency", "monetary"];

/// One interaction of a customer, already filtered to the kinds that count
/// (by default purchases).
#[derive(Debug, Clone, PartialEq)]
pub struct RfmRecord<C> {
    /// The customer: any ordered id (a string id, a dense `u64` index ...).
    pub customer: C,
    /// When it happened, unix seconds.
    pub occurred_at: i64,
    /// Monetary value (missing values are given as 0).
    pub value: f64,
    /// Basket or order id; records without one count one basket per UTC day.
    pub basket: Option<String>,
}

impl<C> RfmRecord<C> {
    /// A record stamped with a chrono UTC time.
    pub fn at(customer: C, occurred_at: DateTime<Utc>, value: f64, basket: Option<String>) -> Self {
        RfmRecord {
            customer,
            occurred_at: occurred_at.timestamp(),
            value,
            basket,
        }
    }
}

/// R, F and M of one customer in plain units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rfm {
    /// Days (real) from the last interaction to the reference instant.
    pub recency_days: f64,
    /// Distinct baskets (or days without basket ids).
    pub frequency: f64,
    /// Sum of values.
    pub monetary: f64,
}

impl Rfm {
    /// The model features: `log1p(R)`, `log1p(F)`, `log1p(M)`. A negative
    /// total (returns exceeding purchases) counts as 0 spend, a negative R
    /// (an interaction after the reference) as 0 days.
    pub fn features(&self) -> [f64; 3] {
        [
            self.recency_days.max(0.0).ln_1p(),
            self.frequency.max(0.0).ln_1p(),
            self.monetary.max(0.0).ln_1p(),
        ]
    }

    /// Back from features (`expm1` of each).
    pub fn from_features(f: &[f64]) -> Rfm {
        let at = |i: usize| f.get(i).copied().unwrap_or(0.0).exp_m1();
        Rfm {
            recency_days: at(0),
            frequency: at(1),
            monetary: at(2),
        }
    }
}

/// RFM of every customer of a log, in ascending customer order.
#[derive(Debug, Clone, PartialEq)]
pub struct RfmTable<C> {
    /// The reference instant, unix seconds.
    pub reference: i64,
    /// Customers, ascending; row `i` of [`RfmTable::points`] is `customers[i]`.
    pub customers: Vec<C>,
    /// Plain R, F, M per customer.
    pub rfm: Vec<Rfm>,
}

impl<C> RfmTable<C> {
    /// The `log1p` features, one row per customer.
    pub fn points(&self) -> Result<Points, SegmentError> {
        let data = self.rfm.iter().flat_map(Rfm::features).collect();
        Points::new(self.rfm.len(), RFM_FEATURES.len(), data)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Basket {
    Id(String),
    Day(i64),
}

#[derive(Debug, Default)]
struct Totals {
    last: i64,
    baskets: BTreeSet<Basket>,
    monetary: f64,
}

/// Aggregates `records` into RFM per customer. The reference is `now` when
/// given (serving; later records are ignored so a snapshot never sees its own
/// future), else the latest record plus one day (training, DESIGN.md §5).
pub fn rfm_table<C: Ord + Clone>(
    records: &[RfmRecord<C>],
    now: Option<i64>,
) -> Result<RfmTable<C>, SegmentError> {
    if let Some(row) = records.iter().position(|r| !r.value.is_finite()) {
        return Err(SegmentError::NonFinite {
            column: "value".into(),
            row,
        });
    }
    let reference = match now {
        Some(now) => now,
        None => {
            records
                .iter()
                .map(|r| r.occurred_at)
                .max()
                .ok_or(SegmentError::NoRows)?
                + 86_400
        }
    };
    let mut by_customer: BTreeMap<C, Totals> = BTreeMap::new();
    for r in records.iter().filter(|r| r.occurred_at <= reference) {
        let t = by_customer
            .entry(r.customer.clone())
            .or_insert_with(|| Totals {
                last: i64::MIN,
                ..Totals::default()
            });
        t.last = t.last.max(r.occurred_at);
        t.monetary += r.value;
        t.baskets.insert(match &r.basket {
            Some(id) => Basket::Id(id.clone()),
            None => Basket::Day(r.occurred_at.div_euclid(86_400)),
        });
    }
    let mut customers = Vec::with_capacity(by_customer.len());
    let mut rfm = Vec::with_capacity(by_customer.len());
    for (customer, t) in by_customer {
        customers.push(customer);
        rfm.push(Rfm {
            recency_days: (reference - t.last) as f64 / DAY,
            frequency: t.baskets.len() as f64,
            monetary: t.monetary,
        });
    }
    Ok(RfmTable {
        reference,
        customers,
        rfm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = 86_400;

    fn rec(c: &str, at: i64, value: f64, basket: Option<&str>) -> RfmRecord<String> {
        RfmRecord {
            customer: c.to_owned(),
            occurred_at: at,
            value,
            basket: basket.map(str::to_owned),
        }
    }

    #[test]
    fn hand_made_table() {
        let t0 = 1_700_000_000 - 1_700_000_000 % D; // midnight UTC
        let records = vec![
            // a: two lines of one basket, one line of another.
            rec("a", t0, 10.0, Some("o1")),
            rec("a", t0 + 60, 5.0, Some("o1")),
            rec("a", t0 + 2 * D, 20.0, Some("o2")),
            // b: no baskets: three records on two UTC days (00:10, 23:50, next day).
            rec("b", t0 + 600, 1.0, None),
            rec("b", t0 + D - 600, 2.0, None),
            rec("b", t0 + D + 3600, 3.0, None),
            // c: the latest record of the log, at noon on day 10.
            rec("c", t0 + 10 * D + D / 2, 100.0, Some("o3")),
        ];
        let table = rfm_table(&records, None).unwrap();
        assert_eq!(table.reference, t0 + 11 * D + D / 2);
        assert_eq!(table.customers, ["a", "b", "c"]);
        let [a, b, c] = [table.rfm[0], table.rfm[1], table.rfm[2]];
        assert_eq!(a.frequency, 2.0);
        assert_eq!(a.monetary, 35.0);
        assert_eq!(a.recency_days, 9.5);
        assert_eq!(b.frequency, 2.0, "distinct UTC days without basket ids");
        assert_eq!(b.monetary, 6.0);
        assert!((b.recency_days - (10.5 - 1.0 / 24.0)).abs() < 1e-12);
        assert_eq!(c.recency_days, 1.0);
        assert_eq!(c.frequency, 1.0);
        let p = table.points().unwrap();
        assert_eq!(p.row(2), [2f64.ln(), 2f64.ln(), 101f64.ln()]);
        let back = Rfm::from_features(p.row(0));
        assert!((back.monetary - 35.0).abs() < 1e-9);
    }

    #[test]
    fn a_given_now_ignores_later_records_and_negative_spend_is_zero() {
        let records = vec![
            RfmRecord::at(7u64, DateTime::from_timestamp(0, 0).unwrap(), -5.0, None),
            RfmRecord::at(7u64, DateTime::from_timestamp(5 * D, 0).unwrap(), 9.0, None),
        ];
        let table = rfm_table(&records, Some(2 * D)).unwrap();
        assert_eq!(table.rfm[0].recency_days, 2.0);
        assert_eq!(table.rfm[0].frequency, 1.0);
        assert_eq!(table.rfm[0].features()[2], 0.0);
        assert!(matches!(
            rfm_table::<u64>(&[], None),
            Err(SegmentError::NoRows)
        ));
        let bad = [rec("a", 0, f64::NAN, None)];
        assert!(matches!(
            rfm_table(&bad, None),
            Err(SegmentError::NonFinite { row: 0, .. })
        ));
    }
}
