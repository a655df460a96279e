//! The online section of a recommender's page: what its served lists led
//! to per day (from `online`, the figures of `GET /models/{id}/online-metrics`),
//! as a table and line charts of the rates and of the traffic, and the
//! results of the experiments it took part in (from `experiments`).

use serde_json::Value;

use crate::html::{Table, missing, number};
use crate::json::{at, list, num, text};
use crate::page::{figure, section};
use crate::svg::LineChart;

/// Seconds in a day, to put the intervals on a day axis.
const DAY: f64 = 86_400.0;

/// The online section, or none when the input carries no online figures.
pub fn sections(model: &Value) -> Option<String> {
    let online = at(model, &["online"])?;
    let intervals = list(online, &["intervals"]);
    let mut content = String::new();
    if intervals.is_empty() {
        content.push_str(&missing("Served lists"));
    } else {
        content.push_str(&table(intervals).render("Per interval, oldest first"));
        content.push_str(&charts(intervals));
    }
    content.push_str(&experiments(list(model, &["experiments"])));
    Some(section("Online", &content))
}

/// The interval start in days since the first interval.
fn day_points(intervals: &[Value], value: impl Fn(&Value) -> Option<f64>) -> Vec<(f64, f64)> {
    let start = |v: &Value| {
        text(v, &["start"])
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp() as f64 / DAY)
    };
    let first = intervals.first().and_then(start).unwrap_or(0.0);
    intervals
        .iter()
        .filter_map(|v| Some((start(v)? - first, value(v)?)))
        .collect()
}

fn table(intervals: &[Value]) -> Table {
    let mut t = Table::new(&[
        "Start",
        "Lists",
        "Customers",
        "Impressions",
        "Click rate",
        "Purchase rate",
        "Revenue",
        "Positive feedback",
    ]);
    let cell = |v: &Value, path: &[&str]| num(v, path).map_or_else(|| "-".to_owned(), number);
    for v in intervals {
        t.row(
            vec![
                text(v, &["start"]).unwrap_or("-").to_owned(),
                cell(v, &["exposures"]),
                cell(v, &["customers"]),
                cell(v, &["impressions"]),
                cell(v, &["rates", "click"]),
                cell(v, &["rates", "purchase"]),
                cell(v, &["revenue"]),
                cell(v, &["positive_feedback_rate"]),
            ],
            false,
        );
    }
    t
}

fn charts(intervals: &[Value]) -> String {
    let rate = |kind: &'static str| move |v: &Value| Some(num(v, &["rates", kind]).unwrap_or(0.0));
    let rates = LineChart::new(
        "Rates per day",
        "Days since the first",
        "Share of impressions",
    )
    .series("click", day_points(intervals, rate("click")), true)
    .series("cart", day_points(intervals, rate("cart")), true)
    .series("purchase", day_points(intervals, rate("purchase")), true)
    .series(
        "positive feedback",
        day_points(intervals, |v| num(v, &["positive_feedback_rate"])),
        true,
    );
    let traffic = LineChart::new("Traffic per day", "Days since the first", "Count")
        .series(
            "lists",
            day_points(intervals, |v| num(v, &["exposures"])),
            true,
        )
        .series(
            "customers",
            day_points(intervals, |v| num(v, &["customers"])),
            true,
        );
    let mut out = figure(
        &rates.render(),
        "Attributed interactions over the items shown, and Gorse's positive feedback rate.",
    );
    out.push_str(&figure(
        &traffic.render(),
        "Lists served and customers reached.",
    ));
    out
}

fn experiments(experiments: &[Value]) -> String {
    let mut out = String::new();
    for x in experiments {
        let key = text(x, &["key"]).unwrap_or("experiment");
        let mut t = Table::new(&[
            "Arm",
            "Customers",
            "Converted",
            "Rate",
            "95 % interval",
            "p vs first",
        ]);
        for arm in list(x, &["arms"]) {
            let cell = |path: &[&str]| num(arm, path).map_or_else(|| "-".to_owned(), number);
            let interval = format!(
                "{} to {}",
                cell(&["interval_low"]),
                cell(&["interval_high"])
            );
            t.row(
                vec![
                    text(arm, &["name"]).unwrap_or("-").to_owned(),
                    cell(&["customers"]),
                    cell(&["converted"]),
                    cell(&["rate"]),
                    interval,
                    cell(&["vs_first", "p_value"]),
                ],
                false,
            );
        }
        let mismatch = at(x, &["sample_ratio", "mismatch"]).and_then(Value::as_bool);
        let note = match mismatch {
            Some(true) => " (sample ratio mismatch: the split is broken)",
            _ => "",
        };
        out.push_str(&t.render(&format!("Experiment {key}{note}")));
    }
    out
}
