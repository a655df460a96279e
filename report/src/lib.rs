//! The report page of a Rapport model: one self-contained HTML5 document
//! rendered from the JSON the API returns for `GET /models/{id}`.
//!
//! The page works offline and anywhere: inline CSS only, no JavaScript, no
//! external resource of any kind. Every chart is an inline `<svg>` drawn here
//! by hand, with axes, tick labels, axis titles and a `<title>`. Plotting
//! crates such as plotters are not used because they need a font backend to
//! lay out labels; the browser lays out SVG text itself.
//!
//! The input is read leniently: a missing or non-numeric field leaves its row
//! or chart out with a short "not available" note, never a panic.

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod html;
mod json;
mod online;
mod page;
mod recommender;
mod scorer;
mod svg;

use serde_json::Value;

pub use html::escape;

use html::{Table, scalar};
use json::{at, num, text};

/// What a model does, which decides the sections of its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scorer,
    Recommender,
    Other,
}

impl Kind {
    /// The model's `kind`, or a guess from its metrics when absent.
    fn of(model: &Value) -> Self {
        match text(model, &["kind"]) {
            Some("scorer") => Self::Scorer,
            Some("recommender") => Self::Recommender,
            Some(_) => Self::Other,
            None if at(model, &["metrics", "roc_auc"]).is_some() => Self::Scorer,
            None if num(model, &["metrics", "ndcg"]).is_some()
                || num(model, &["metrics", "metrics", "ndcg"]).is_some() =>
            {
                Self::Recommender
            }
            None => Self::Other,
        }
    }
}

/// Renders the report page of a model, given the JSON the API returns for
/// GET /models/{id}.
pub fn render_html(model: &Value) -> String {
    let kind = Kind::of(model);
    let kind_name = match kind {
        Kind::Scorer => "scorer",
        Kind::Recommender => "recommender",
        Kind::Other => text(model, &["kind"]).unwrap_or("model"),
    };
    let metrics = at(model, &["metrics"]).unwrap_or(&Value::Null);
    let mut body = page::header(model, kind_name);
    body.push_str(&match kind {
        Kind::Scorer => scorer::sections(metrics),
        Kind::Recommender => recommender::sections(metrics),
        Kind::Other => scalar_summary(metrics),
    });
    if let Some(online) = online::sections(model) {
        body.push_str(&online);
    }
    let engine = text(model, &["engine"]).unwrap_or("model");
    page::document(&format!("{engine} {kind_name} report"), &body)
}

/// The summary of any other model: its top-level scalar metrics.
fn scalar_summary(metrics: &Value) -> String {
    let mut table = Table::new(&["Metric", "Value"]);
    if let Some(map) = metrics.as_object() {
        for (name, value) in map {
            if let Some(shown) = scalar(value) {
                table.row(vec![name.clone(), shown], false);
            }
        }
    }
    let content = if table.is_empty() {
        html::missing("Metrics")
    } else {
        table.render("")
    };
    page::section("Summary", &content)
}

#[cfg(test)]
mod tests;
