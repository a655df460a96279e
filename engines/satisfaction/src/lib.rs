//! The `satisfaction` engine: customer satisfaction statistics from survey
//! answers (`{type: nps|csat|ces, score}`). Per group it gives the Net
//! Promoter Score (% promoters 9-10 minus % detractors 0-6), CSAT (% of
//! answers 4-5) and the mean CES, each with a 95 % interval and the counts
//! behind it; the change of those figures between two periods; one
//! customer's trend; and the detractor rule that triggers automations.
//! Plain data in, plain data out: no HTTP, no database, and no rounding
//! (that is for presentation).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod group;
pub mod stats;
pub mod survey;

#[cfg(test)]
mod stats_tests;

pub use group::{Change, Group, Point, Row, Series, Trend, change, group_by, month_key, trend};
pub use stats::{
    CesStats, CsatStats, Interval, NpsStats, Summary, Tally, Z95, summarise, t975, wilson,
};
pub use survey::{Answer, SurveyType, detractor, rating_as_csat};
