//! Behaviour features computed from the interaction log: recency, frequency
//! per kind, monetary value, support tickets, ratings, tenure and the latest
//! Net Promoter Score answer.

use std::collections::HashMap;

use super::error::ScoreError;
use super::frame::{Frame, Value};

/// Interaction kinds that get frequency columns (DESIGN.md §3).
pub const KINDS: [&str; 11] = [
    "view",
    "click",
    "cart",
    "purchase",
    "rating",
    "return",
    "support_ticket",
    "email",
    "call",
    "meeting",
    "survey",
];
/// Windows, in days, of the frequency columns.
pub const WINDOWS: [i64; 3] = [30, 90, 365];
const DAY: f64 = 86_400.0;

/// One interaction of the log, as plain data (kind, value and rating kept).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerEvent {
    /// The customer's id, as it appears in the customer table's id column.
    pub customer: String,
    /// Kind, e.g. `purchase` or `support_ticket`.
    pub kind: String,
    /// Monetary value, for purchases.
    pub value: Option<f64>,
    /// Rating 1..5, when given.
    pub rating: Option<u8>,
    /// The score 0..10 of a Net Promoter Score survey answer.
    pub nps: Option<u8>,
    /// Unix seconds.
    pub occurred_at: i64,
}

/// Running totals of one customer.
#[derive(Debug, Clone, Default)]
struct Totals {
    first: Option<i64>,
    last: Option<i64>,
    counts: Vec<u32>,
    monetary: f64,
    tickets: u32,
    rating_sum: f64,
    ratings: u32,
    low_ratings: u32,
    /// The latest NPS answer: when, and its score.
    last_nps: Option<(i64, u8)>,
}

/// Behaviour features of every customer in a log, as of one instant.
#[derive(Debug, Clone)]
pub struct BehaviourFeatures {
    as_of: i64,
    by_customer: HashMap<String, Totals>,
}

impl BehaviourFeatures {
    /// Aggregates `log` as seen at `as_of` (unix seconds); later interactions
    /// are ignored so that a snapshot never sees its own future.
    pub fn compute(log: &[CustomerEvent], as_of: i64) -> BehaviourFeatures {
        let mut by_customer: HashMap<String, Totals> = HashMap::new();
        for event in log.iter().filter(|e| e.occurred_at <= as_of) {
            let t = by_customer.entry(event.customer.clone()).or_default();
            t.first = Some(
                t.first
                    .map_or(event.occurred_at, |f| f.min(event.occurred_at)),
            );
            t.last = Some(
                t.last
                    .map_or(event.occurred_at, |l| l.max(event.occurred_at)),
            );
            if let Some(kind) = KINDS.iter().position(|k| *k == event.kind) {
                t.counts.resize(KINDS.len() * WINDOWS.len(), 0);
                let age = as_of - event.occurred_at;
                for (w, days) in WINDOWS.iter().enumerate() {
                    if age < days * 86_400 {
                        t.counts[kind * WINDOWS.len() + w] += 1;
                    }
                }
            }
            match event.kind.as_str() {
                "purchase" => {
                    // Sums saturate instead of overflowing to infinity, so
                    // one absurd value cannot poison the scaler for everyone.
                    let value = event.value.filter(|v| v.is_finite()).unwrap_or(0.0);
                    t.monetary = (t.monetary + value).clamp(-f64::MAX, f64::MAX);
                }
                "support_ticket" => t.tickets += 1,
                _ => {}
            }
            if let Some(score) = event.nps
                && t.last_nps.is_none_or(|(at, _)| at <= event.occurred_at)
            {
                t.last_nps = Some((event.occurred_at, score));
            }
            if let Some(rating) = event.rating {
                t.rating_sum += f64::from(rating);
                t.ratings += 1;
                t.low_ratings += u32::from(rating <= 2);
            }
        }
        BehaviourFeatures { as_of, by_customer }
    }

    /// Names of the feature columns, in the order of [`Self::for_customer`].
    pub fn columns() -> Vec<String> {
        let mut names: Vec<String> = [
            "recency_days",
            "tenure_days",
            "monetary",
            "support_tickets",
            "mean_rating",
            "low_ratings",
            "last_nps",
        ]
        .map(String::from)
        .to_vec();
        for kind in KINDS {
            names.extend(WINDOWS.iter().map(|d| format!("freq_{kind}_{d}d")));
        }
        names
    }

    /// The features of one customer; without interactions recency, tenure and
    /// mean rating are missing and every count is zero; without an NPS answer
    /// `last_nps` is missing.
    pub fn for_customer(&self, customer: &str) -> Vec<Value> {
        let empty = Totals::default();
        let t = self.by_customer.get(customer).unwrap_or(&empty);
        let days = |at: Option<i64>| match at {
            Some(at) => Value::Number((self.as_of - at) as f64 / DAY),
            None => Value::Missing,
        };
        let mean_rating = match t.ratings {
            0 => Value::Missing,
            n => Value::Number(t.rating_sum / f64::from(n)),
        };
        let mut values = vec![
            days(t.last),
            days(t.first),
            Value::Number(t.monetary),
            Value::Number(f64::from(t.tickets)),
            mean_rating,
            Value::Number(f64::from(t.low_ratings)),
            t.last_nps
                .map_or(Value::Missing, |(_, score)| Value::Number(f64::from(score))),
        ];
        values.extend(
            (0..KINDS.len() * WINDOWS.len())
                .map(|i| Value::Number(f64::from(t.counts.get(i).copied().unwrap_or(0)))),
        );
        values
    }

    /// Appends the behaviour columns to `frame`, matching rows on `id_column`.
    pub fn join(&self, frame: &mut Frame, id_column: &str) -> Result<(), ScoreError> {
        let index = frame
            .column_index(id_column)
            .ok_or_else(|| ScoreError::UnknownColumn(id_column.to_owned()))?;
        let ids: Vec<String> = (0..frame.len())
            .map(|i| {
                frame
                    .row_values(i)
                    .and_then(|r| r.get(index))
                    .and_then(Value::as_level)
                    .unwrap_or_default()
            })
            .collect();
        frame.append_columns(&Self::columns(), |i| self.for_customer(&ids[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        customer: &str,
        kind: &str,
        days_ago: i64,
        value: Option<f64>,
        rating: Option<u8>,
    ) -> CustomerEvent {
        CustomerEvent {
            customer: customer.into(),
            kind: kind.into(),
            value,
            rating,
            nps: None,
            occurred_at: 1_000 * 86_400 - days_ago * 86_400,
        }
    }

    fn number(v: &Value) -> f64 {
        v.as_number().unwrap()
    }

    #[test]
    fn extreme_values_saturate_instead_of_overflowing() {
        let events = [
            event("a", "purchase", 1, Some(f64::MAX), None),
            event("a", "purchase", 2, Some(f64::MAX), None),
            event("a", "purchase", 3, Some(f64::INFINITY), None),
        ];
        let features = BehaviourFeatures::compute(&events, 1_000 * 86_400);
        let monetary = features.for_customer("a")[2].as_number().unwrap();
        assert!(monetary.is_finite(), "{monetary}");
    }

    #[test]
    fn aggregates_recency_frequency_monetary_tickets_ratings_tenure() {
        let log = [
            event("a", "purchase", 10, Some(20.0), None),
            event("a", "purchase", 100, Some(5.5), None),
            event("a", "support_ticket", 40, None, None),
            event("a", "rating", 5, None, Some(2)),
            event("a", "rating", 400, None, Some(5)),
            event("a", "view", -3, None, Some(1)), // after as_of: ignored
            event("b", "view", 1, None, None),
        ];
        let features = BehaviourFeatures::compute(&log, 1_000 * 86_400);
        let columns = BehaviourFeatures::columns();
        let a = features.for_customer("a");
        assert_eq!(a.len(), columns.len());
        let get = |name: &str| number(&a[columns.iter().position(|c| c == name).unwrap()]);
        assert_eq!(get("recency_days"), 5.0);
        assert_eq!(get("tenure_days"), 400.0);
        assert_eq!(get("monetary"), 25.5);
        assert_eq!(get("support_tickets"), 1.0);
        assert_eq!(get("mean_rating"), 3.5);
        assert_eq!(get("low_ratings"), 1.0);
        assert_eq!(get("freq_purchase_30d"), 1.0);
        assert_eq!(get("freq_purchase_90d"), 1.0);
        assert_eq!(get("freq_purchase_365d"), 2.0);
        assert_eq!(get("freq_rating_365d"), 1.0);
        assert_eq!(get("freq_view_365d"), 0.0);
    }

    #[test]
    fn customer_without_interactions_has_missing_recency_and_zero_counts() {
        let features = BehaviourFeatures::compute(&[], 0);
        let values = features.for_customer("nobody");
        assert!(values[0].is_missing() && values[1].is_missing() && values[4].is_missing());
        assert!(values[6].is_missing(), "no NPS answer");
        assert_eq!(number(&values[2]), 0.0);
        assert!(values[7..].iter().all(|v| number(v) == 0.0));
    }

    #[test]
    fn last_nps_is_the_latest_answer_before_the_snapshot() {
        let answer = |days_ago, score| CustomerEvent {
            nps: Some(score),
            ..event("a", "survey", days_ago, None, None)
        };
        let log = [answer(30, 9), answer(10, 3), answer(50, 10), answer(-5, 0)];
        let columns = BehaviourFeatures::columns();
        let at = columns.iter().position(|c| c == "last_nps").unwrap();
        let features = BehaviourFeatures::compute(&log, 1_000 * 86_400);
        assert_eq!(number(&features.for_customer("a")[at]), 3.0);
        // Seen 20 days earlier, the 3 had not been given yet.
        let earlier = BehaviourFeatures::compute(&log, 980 * 86_400);
        assert_eq!(number(&earlier.for_customer("a")[at]), 9.0);
    }

    #[test]
    fn joins_on_the_id_column() {
        let mut frame = Frame::new(
            vec!["id".into(), "plan".into()],
            vec![
                vec![Value::Text("b".into()), Value::Text("pro".into())],
                vec![Value::Text("z".into()), Value::Missing],
            ],
        )
        .unwrap();
        let log = [event("b", "call", 2, None, None)];
        BehaviourFeatures::compute(&log, 1_000 * 86_400)
            .join(&mut frame, "id")
            .unwrap();
        assert_eq!(
            frame.columns().len(),
            2 + BehaviourFeatures::columns().len()
        );
        assert_eq!(frame.row_values(0).unwrap()[2], Value::Number(2.0));
        assert!(frame.row_values(1).unwrap()[2].is_missing());
        assert!(
            BehaviourFeatures::compute(&log, 0)
                .join(&mut frame, "nope")
                .is_err()
        );
    }
}
