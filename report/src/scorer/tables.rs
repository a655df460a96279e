//! The scorer's tables: per-group fairness of each protected attribute (the
//! four-fifths rule) and the mutual information of each feature with the label.

use serde_json::Value;

use crate::html::{Table, missing, scalar};
use crate::json::{at, list, text};

/// What a flagged group's row says.
const FLAG: &str = "below four-fifths";

/// The cell of `key` in `item`: its scalar, or "not available".
fn cell(item: &Value, key: &str) -> String {
    at(item, &[key])
        .and_then(scalar)
        .unwrap_or_else(|| crate::html::NOT_AVAILABLE.to_owned())
}

/// One table per fairness attribute, flagged groups marked.
pub fn fairness(metrics: &Value) -> String {
    let attributes = list(metrics, &["fairness"]);
    if attributes.is_empty() {
        return missing("Fairness by group");
    }
    let columns = [
        ("Group", "group"),
        ("Rows", "count"),
        ("Positive rate", "positive_rate"),
        ("Mean score", "mean_score"),
        ("ROC AUC", "roc_auc"),
        ("ECE", "ece"),
        ("Predicted positive rate", "predicted_positive_rate"),
        ("Ratio to highest", "ratio_to_highest"),
    ];
    let mut head: Vec<&str> = columns.iter().map(|c| c.0).collect();
    head.push("Four-fifths rule");
    let mut out = String::new();
    for attribute in attributes {
        let flagged: Vec<String> = list(attribute, &["flagged_groups"])
            .iter()
            .filter_map(scalar)
            .collect();
        let mut table = Table::new(&head);
        for group in list(attribute, &["groups"]) {
            let name = at(group, &["group"]).and_then(scalar);
            let is_flagged = at(group, &["flagged"]).and_then(Value::as_bool) == Some(true)
                || name.as_ref().is_some_and(|n| flagged.contains(n));
            let mut cells: Vec<String> = columns.iter().map(|c| cell(group, c.1)).collect();
            cells.push(if is_flagged { FLAG } else { "" }.to_owned());
            table.row(cells, is_flagged);
        }
        let name = text(attribute, &["attribute"]).unwrap_or("unnamed attribute");
        let threshold = at(attribute, &["threshold"])
            .and_then(scalar)
            .map_or_else(String::new, |t| {
                format!(" (predicted positive above probability {t})")
            });
        out.push_str(&table.render(&format!("{name}{threshold}")));
    }
    out
}

/// A tree's rule per leaf, as trained.
pub fn rules(metrics: &Value) -> Option<String> {
    let rules = list(metrics, &["rules"]);
    if rules.is_empty() {
        return None;
    }
    let mut table = Table::new(&["Rule", "Probability", "Training rows"]);
    for rule in rules {
        let cells = ["text", "probability", "customers"].map(|k| cell(rule, k));
        table.row(cells.to_vec(), false);
    }
    Some(table.render(""))
}

/// Features with their mutual information with the label and their levels.
pub fn mutual_information(metrics: &Value) -> String {
    let features = list(metrics, &["mutual_information"]);
    if features.is_empty() {
        return missing("Mutual information");
    }
    let mut table = Table::new(&["Feature", "Mutual information", "Levels"]);
    for f in features {
        let cells = ["feature", "mutual_information", "levels"].map(|k| cell(f, k));
        table.row(cells.to_vec(), false);
    }
    table.render("")
}
