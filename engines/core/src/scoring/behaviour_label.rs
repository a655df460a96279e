//! Labels read from what customers do after a cutoff ("will buy within 90
//! days", "inactive for 60 days"), and the cutoffs a training set stacks.
//!
//! Point in time: for a cutoff T, features may only use interactions at or
//! before T ([`super::BehaviourFeatures::compute`] as of T), and the label
//! looks at (T, T + window] only.

use std::collections::{HashMap, HashSet};

use super::behaviour::CustomerEvent;

const DAY: i64 = 86_400;

/// A label read from the interaction log after a cutoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BehaviourLabel {
    /// Positive when the customer has an interaction of `kind` within
    /// `within_days` after the cutoff (propensity: "will buy in 90 days").
    Event {
        /// The interaction kind, e.g. `purchase`.
        kind: String,
        /// The window in days.
        within_days: u32,
    },
    /// Positive when the customer, active before the cutoff, has no
    /// interaction of `kinds` (every kind when empty) within `days` after it
    /// (churn by inactivity).
    Inactive {
        /// The window in days.
        days: u32,
        /// The kinds that count as activity; empty for every kind.
        kinds: Vec<String>,
    },
}

impl BehaviourLabel {
    /// The label window in seconds.
    pub fn window_secs(&self) -> i64 {
        let days = match self {
            BehaviourLabel::Event { within_days, .. } => *within_days,
            BehaviourLabel::Inactive { days, .. } => *days,
        };
        i64::from(days) * DAY
    }

    /// A short name, as scores show it: `purchase_within_90d`, `inactive_60d`.
    pub fn name(&self) -> String {
        match self {
            BehaviourLabel::Event { kind, within_days } => format!("{kind}_within_{within_days}d"),
            BehaviourLabel::Inactive { days, .. } => format!("inactive_{days}d"),
        }
    }

    /// Whether `event` is one the label watches.
    fn watches(&self, event: &CustomerEvent) -> bool {
        match self {
            BehaviourLabel::Event { kind, .. } => event.kind == *kind,
            BehaviourLabel::Inactive { kinds, .. } => {
                kinds.is_empty() || kinds.contains(&event.kind)
            }
        }
    }

    /// The class at `cutoff` of every customer the label applies to there:
    /// those with an interaction at or before the cutoff (for
    /// [`BehaviourLabel::Inactive`], one of the watched kinds). Customers
    /// who had done nothing yet are left out.
    pub fn classes_at(&self, log: &[CustomerEvent], cutoff: i64) -> HashMap<String, bool> {
        let end = cutoff + self.window_secs();
        let mut eligible: HashSet<&str> = HashSet::new();
        let mut acted: HashSet<&str> = HashSet::new();
        for event in log {
            let at = event.occurred_at;
            if at <= cutoff {
                let counts = match self {
                    BehaviourLabel::Event { .. } => true,
                    BehaviourLabel::Inactive { .. } => self.watches(event),
                };
                if counts {
                    eligible.insert(&event.customer);
                }
            } else if at <= end && self.watches(event) {
                acted.insert(&event.customer);
            }
        }
        eligible
            .into_iter()
            .map(|customer| {
                let acted = acted.contains(customer);
                let positive = match self {
                    BehaviourLabel::Event { .. } => acted,
                    BehaviourLabel::Inactive { .. } => !acted,
                };
                (customer.to_owned(), positive)
            })
            .collect()
    }

    /// Cutoffs newest first: the newest is the end of the log (its latest
    /// interaction) less the window, so that its window is complete; then
    /// one every `step_days` back, at most `count` in all, each with some
    /// history before it. Empty when the log is shorter than the window.
    pub fn cutoffs(&self, log: &[CustomerEvent], count: usize, step_days: u32) -> Vec<i64> {
        let (Some(first), Some(last)) = (
            log.iter().map(|e| e.occurred_at).min(),
            log.iter().map(|e| e.occurred_at).max(),
        ) else {
            return Vec::new();
        };
        let step = i64::from(step_days.max(1)) * DAY;
        (0..count as i64)
            .map(|j| last - self.window_secs() - j * step)
            .take_while(|&cutoff| cutoff > first)
            .collect()
    }
}

/// Which stacked rows train and which test, when rows were built at
/// `cutoffs` (newest first) and `row_cutoffs[i]` is row i's index in them:
/// the newest cutoff's rows are the test part, and the training part takes
/// the rows of cutoffs whose label window ends by the newest cutoff, so
/// that no training label looks at the test period.
pub fn temporal_split(
    cutoffs: &[i64],
    row_cutoffs: &[usize],
    window_secs: i64,
) -> (Vec<usize>, Vec<usize>) {
    let Some(&newest) = cutoffs.first() else {
        return (Vec::new(), Vec::new());
    };
    let mut train = Vec::new();
    let mut test = Vec::new();
    for (row, &c) in row_cutoffs.iter().enumerate() {
        match cutoffs.get(c) {
            Some(_) if c == 0 => test.push(row),
            Some(&cutoff) if cutoff + window_secs <= newest => train.push(row),
            _ => {}
        }
    }
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(customer: &str, kind: &str, day: i64) -> CustomerEvent {
        CustomerEvent {
            customer: customer.into(),
            kind: kind.into(),
            value: None,
            rating: None,
            nps: None,
            occurred_at: day * DAY,
        }
    }

    /// Day 100 is the cutoff, the window 30 days.
    fn log() -> Vec<CustomerEvent> {
        vec![
            event("a", "view", 90),
            event("a", "purchase", 110), // a buys within the window
            event("b", "purchase", 50),
            event("b", "view", 125),     // b only looks, in the window
            event("c", "purchase", 131), // after the window
            event("c", "view", 100),
            event("d", "purchase", 105), // d did nothing before: left out
        ]
    }

    #[test]
    fn an_event_label_looks_at_the_window_after_the_cutoff_only() {
        let label = BehaviourLabel::Event {
            kind: "purchase".into(),
            within_days: 30,
        };
        let classes = label.classes_at(&log(), 100 * DAY);
        let expected: HashMap<String, bool> = [("a", true), ("b", false), ("c", false)]
            .into_iter()
            .map(|(c, p)| (c.to_owned(), p))
            .collect();
        assert_eq!(classes, expected);
        assert_eq!(label.name(), "purchase_within_30d");
    }

    #[test]
    fn inactivity_counts_the_watched_kinds_only() {
        let every_kind = BehaviourLabel::Inactive {
            days: 30,
            kinds: Vec::new(),
        };
        let classes = every_kind.classes_at(&log(), 100 * DAY);
        // a and b act in the window; c's next step is a day too late.
        assert_eq!(classes.get("a"), Some(&false));
        assert_eq!(classes.get("b"), Some(&false));
        assert_eq!(classes.get("c"), Some(&true));
        assert_eq!(classes.get("d"), None);
        let purchases = BehaviourLabel::Inactive {
            days: 30,
            kinds: vec!["purchase".into()],
        };
        let classes = purchases.classes_at(&log(), 100 * DAY);
        // a never bought before the cutoff; b's view does not count.
        assert_eq!(classes.get("a"), None);
        assert_eq!(classes.get("b"), Some(&true));
        assert_eq!(classes.get("c"), None);
    }

    #[test]
    fn cutoffs_leave_a_complete_window_and_history_before() {
        let label = BehaviourLabel::Event {
            kind: "purchase".into(),
            within_days: 30,
        };
        // The log runs from day 50 to day 131: the newest cutoff is day 101.
        let cutoffs = label.cutoffs(&log(), 5, 20);
        assert_eq!(cutoffs, [101 * DAY, 81 * DAY, 61 * DAY]);
        assert!(label.cutoffs(&[], 5, 20).is_empty());

        // Rows at cutoffs 0, 1, 2: only cutoff 2 (day 61, window to day 91)
        // ends by day 101; cutoff 1's window reaches day 111.
        let (train, test) = temporal_split(&cutoffs, &[0, 1, 2, 2, 0], label.window_secs());
        assert_eq!(test, [0, 4]);
        assert_eq!(train, [2, 3]);
    }
}
