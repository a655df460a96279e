//! Figures per group and period, changes between periods, and one
//! customer's trend. Time handling stays with the caller: rows arrive tagged
//! with a group key and a period label ([`month_key`] makes monthly ones).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::stats::{Summary, Tally};
use crate::survey::{Answer, SurveyType};

/// One answer tagged with its group (customer, segment, item, owner,
/// channel, ... ) and its period label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<K> {
    /// The group the answer counts in.
    pub key: K,
    /// The period it falls in (e.g. a [`month_key`]); use one label for all
    /// rows to get no time split.
    pub period: String,
    /// The answer.
    pub answer: Answer,
}

/// The figures of one group in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group<K> {
    /// The group.
    pub key: K,
    /// The period label.
    pub period: String,
    /// Its figures.
    pub summary: Summary,
}

/// One summary per (key, period) present in `rows`, ordered by key then
/// period (month keys sort chronologically).
pub fn group_by<K: Ord>(rows: impl IntoIterator<Item = Row<K>>) -> Vec<Group<K>> {
    let mut tallies: BTreeMap<(K, String), Tally> = BTreeMap::new();
    for row in rows {
        tallies
            .entry((row.key, row.period))
            .or_default()
            .add(row.answer);
    }
    tallies
        .into_iter()
        .map(|((key, period), tally)| Group {
            key,
            period,
            summary: tally.summary(),
        })
        .collect()
}

/// The UTC calendar month of an instant, as `YYYY-MM`.
pub fn month_key(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

/// How the figures moved from a previous period to the current one (current
/// minus previous); a part is `None` when either side has no such answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Change {
    /// NPS change, in points.
    pub nps_points: Option<f64>,
    /// CSAT change, in percentage points.
    pub csat_points: Option<f64>,
    /// Change of the mean CES, in scale units.
    pub ces: Option<f64>,
}

/// The change from `previous` to `current`.
pub fn change(current: &Summary, previous: &Summary) -> Change {
    fn diff<T>(current: Option<&T>, previous: Option<&T>, figure: fn(&T) -> f64) -> Option<f64> {
        Some(figure(current?) - figure(previous?))
    }
    Change {
        nps_points: diff(current.nps.as_ref(), previous.nps.as_ref(), |s| s.score),
        csat_points: diff(current.csat.as_ref(), previous.csat.as_ref(), |s| s.score),
        ces: diff(current.ces.as_ref(), previous.ces.as_ref(), |s| s.mean),
    }
}

/// One dated score of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Point {
    /// When it was given.
    pub at: DateTime<Utc>,
    /// The score.
    pub score: u8,
}

/// A customer's answers of one type over time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Series {
    /// The most recent answer, if any.
    pub latest: Option<Point>,
    /// Every answer, oldest first.
    pub points: Vec<Point>,
}

/// One customer's answers per type over time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Trend {
    /// NPS answers.
    pub nps: Series,
    /// CSAT answers.
    pub csat: Series,
    /// CES answers.
    pub ces: Series,
}

/// The trend of one customer's dated answers. They are sorted by time here
/// (stably, so of two answers at the same instant the later given is latest).
pub fn trend(answers: impl IntoIterator<Item = (DateTime<Utc>, Answer)>) -> Trend {
    let mut answers: Vec<_> = answers.into_iter().collect();
    answers.sort_by_key(|&(at, _)| at);
    let mut trend = Trend::default();
    for (at, answer) in answers {
        let series = match answer.kind() {
            SurveyType::Nps => &mut trend.nps,
            SurveyType::Csat => &mut trend.csat,
            SurveyType::Ces => &mut trend.ces,
        };
        let point = Point {
            at,
            score: answer.score(),
        };
        series.points.push(point);
        series.latest = Some(point);
    }
    trend
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::stats::summarise;

    fn answer(kind: SurveyType, score: i64) -> Answer {
        Answer::new(kind, score).unwrap()
    }

    fn row(key: &str, period: &str, kind: SurveyType, score: i64) -> Row<String> {
        Row {
            key: key.to_owned(),
            period: period.to_owned(),
            answer: answer(kind, score),
        }
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn month_key_is_the_utc_month() {
        assert_eq!(month_key(at(2026, 3, 1, 0)), "2026-03");
        assert_eq!(month_key(at(2026, 12, 31, 23)), "2026-12");
        let late = Utc.with_ymd_and_hms(2026, 1, 31, 23, 59, 59).unwrap();
        assert_eq!(month_key(late), "2026-01");
    }

    #[test]
    fn group_by_summarises_each_key_and_period_in_order() {
        use SurveyType::{Csat, Nps};
        let rows = vec![
            row("b", "2026-02", Nps, 10),
            row("a", "2026-02", Nps, 0),
            row("a", "2026-01", Nps, 9),
            row("a", "2026-01", Csat, 5),
            row("a", "2026-01", Nps, 3),
        ];
        let groups = group_by(rows);
        let labels: Vec<_> = groups
            .iter()
            .map(|g| (g.key.as_str(), g.period.as_str()))
            .collect();
        assert_eq!(
            labels,
            [("a", "2026-01"), ("a", "2026-02"), ("b", "2026-02")]
        );
        // a / 2026-01: NPS 9 and 3 -> 1 promoter, 1 detractor, NPS 0; CSAT 5.
        let january = &groups[0].summary;
        assert_eq!(
            january,
            &summarise(&[answer(Nps, 9), answer(Csat, 5), answer(Nps, 3)])
        );
        assert_eq!(january.nps.as_ref().unwrap().score, 0.0);
        assert!(groups[1].summary.csat.is_none());
        assert_eq!(groups[2].summary.nps.as_ref().unwrap().score, 100.0);
    }

    #[test]
    fn change_against_previous_period() {
        use SurveyType::{Ces, Csat, Nps};
        // Previous: NPS 10, 0 -> 0 points; CSAT 5, 2 -> 50 %; CES 3.
        let previous = summarise(&[
            answer(Nps, 10),
            answer(Nps, 0),
            answer(Csat, 5),
            answer(Csat, 2),
            answer(Ces, 3),
        ]);
        // Current: NPS 10, 10, 8, 0 -> 50 - 25 = 25 points; CSAT 4 -> 100 %;
        // no CES.
        let current = summarise(&[
            answer(Nps, 10),
            answer(Nps, 10),
            answer(Nps, 8),
            answer(Nps, 0),
            answer(Csat, 4),
        ]);
        let delta = change(&current, &previous);
        assert_eq!(delta.nps_points, Some(25.0));
        assert_eq!(delta.csat_points, Some(50.0));
        assert_eq!(delta.ces, None);
        let back = change(&previous, &current);
        assert_eq!(back.nps_points, Some(-25.0));
        assert_eq!(change(&current, &Summary::default()), Change::default());
    }

    #[test]
    fn trend_sorts_by_time_and_keeps_latest_per_type() {
        use SurveyType::{Csat, Nps};
        let t = trend(vec![
            (at(2026, 3, 1, 0), answer(Nps, 4)),
            (at(2026, 1, 1, 0), answer(Nps, 9)),
            (at(2026, 2, 1, 0), answer(Csat, 2)),
            (at(2026, 2, 1, 0), answer(Csat, 5)),
        ]);
        let nps: Vec<_> = t.nps.points.iter().map(|p| p.score).collect();
        assert_eq!(nps, [9, 4]);
        assert_eq!(
            t.nps.latest,
            Some(Point {
                at: at(2026, 3, 1, 0),
                score: 4
            })
        );
        assert_eq!(t.csat.latest.map(|p| p.score), Some(5));
        assert_eq!(t.ces, Series::default());
        assert_eq!(trend(Vec::new()), Trend::default());
    }
}
