//! How a scorer treats the groups of a protected attribute: per group the
//! base rate, scores, ranking quality, calibration and the share flagged
//! positive, checked against the four-fifths rule.

use std::collections::BTreeMap;
use std::fmt::Display;

use rapport_core::scoring::eval::roc_auc;
use serde::{Deserialize, Serialize};

use crate::reliability::{DEFAULT_BINS, expected_calibration_error};

/// The usual threshold: a probability above one half predicts positive.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// A group is flagged when its positive-prediction rate is below this share
/// of the highest group's (the four-fifths rule).
pub const FOUR_FIFTHS: f64 = 0.8;

/// The figures of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFairness {
    /// The attribute's value; `(missing)` for rows without one.
    pub group: String,
    /// Rows in the group.
    pub count: usize,
    /// Share of the group's rows whose label is positive.
    pub positive_rate: f64,
    /// Mean probability over the group.
    pub mean_score: f64,
    /// ROC AUC within the group; `None` when it holds one class.
    pub roc_auc: Option<f64>,
    /// Expected calibration error within the group (ten bins).
    pub ece: f64,
    /// Share of the group's rows predicted positive (probability above the threshold).
    pub predicted_positive_rate: f64,
    /// `predicted_positive_rate` over the highest group's; 1 when no group has any.
    pub ratio_to_highest: f64,
    /// True when `ratio_to_highest` is below [`FOUR_FIFTHS`].
    pub flagged: bool,
}

/// Per-group figures of one protected attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReport {
    /// The attribute's name.
    pub attribute: String,
    /// Probabilities above this predict positive.
    pub threshold: f64,
    /// The groups, by name.
    pub groups: Vec<GroupFairness>,
    /// Names of the flagged groups.
    pub flagged_groups: Vec<String>,
}

/// Figures per group of `attribute`, whose value for row i is `groups[i]`
/// (rendered with `Display`, so a [`rapport_core::scoring::Value`] that is
/// missing reads `(missing)`). A row is predicted positive when its
/// probability is above `threshold`. `None` when there are no rows or the
/// lengths differ.
pub fn group_fairness<G: Display>(
    attribute: &str,
    groups: &[G],
    probabilities: &[f64],
    labels: &[bool],
    threshold: f64,
) -> Option<FairnessReport> {
    if groups.is_empty() || groups.len() != probabilities.len() || groups.len() != labels.len() {
        return None;
    }
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, group) in groups.iter().enumerate() {
        members.entry(group.to_string()).or_default().push(i);
    }
    let mut figures = members
        .into_iter()
        .map(|(group, rows)| {
            let p: Vec<f64> = rows.iter().map(|&i| probabilities[i]).collect();
            let y: Vec<bool> = rows.iter().map(|&i| labels[i]).collect();
            group_figures(group, &p, &y, threshold)
        })
        .collect::<Option<Vec<GroupFairness>>>()?;
    let highest = figures
        .iter()
        .map(|g| g.predicted_positive_rate)
        .fold(0.0, f64::max);
    for group in &mut figures {
        group.ratio_to_highest = if highest > 0.0 {
            group.predicted_positive_rate / highest
        } else {
            1.0
        };
        group.flagged = group.ratio_to_highest < FOUR_FIFTHS;
    }
    Some(FairnessReport {
        attribute: attribute.to_owned(),
        threshold,
        flagged_groups: figures
            .iter()
            .filter(|g| g.flagged)
            .map(|g| g.group.clone())
            .collect(),
        groups: figures,
    })
}

/// One group's own figures; the ratio is filled in once all groups are known.
fn group_figures(group: String, p: &[f64], y: &[bool], threshold: f64) -> Option<GroupFairness> {
    let n = p.len() as f64;
    let share = |count: usize| count as f64 / n;
    Some(GroupFairness {
        group,
        count: p.len(),
        positive_rate: share(y.iter().filter(|&&l| l).count()),
        mean_score: p.iter().sum::<f64>() / n,
        roc_auc: roc_auc(p, y),
        ece: expected_calibration_error(p, y, DEFAULT_BINS)?,
        predicted_positive_rate: share(p.iter().filter(|&&s| s > threshold).count()),
        ratio_to_highest: 1.0,
        flagged: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::scoring::Value;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Groups A and B of four rows and two rows without a value.
    fn table() -> (Vec<Value>, Vec<f64>, Vec<bool>) {
        let a = Value::Text("A".into());
        let b = Value::Text("B".into());
        let groups = [
            &a,
            &a,
            &a,
            &a,
            &b,
            &b,
            &b,
            &b,
            &Value::Missing,
            &Value::Missing,
        ]
        .map(Clone::clone)
        .to_vec();
        let p = vec![0.9, 0.7, 0.4, 0.2, 0.6, 0.3, 0.2, 0.1, 0.8, 0.55];
        let y = vec![
            true, true, false, false, true, false, true, false, true, true,
        ];
        (groups, p, y)
    }

    #[test]
    fn figures_per_group_by_hand() {
        let (groups, p, y) = table();
        let report = group_fairness("region", &groups, &p, &y, DEFAULT_THRESHOLD).unwrap();
        let names: Vec<&str> = report.groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, ["(missing)", "A", "B"]);
        let [missing, a, b] = &report.groups[..] else {
            panic!("three groups expected");
        };
        // A: labels 1 1 0 0, scores .9 .7 .4 .2 (each alone in its bin): ECE
        // (.1 + .3 + .4 + .2) / 4; two of four above one half.
        assert_eq!(a.count, 4);
        assert!(close(a.positive_rate, 0.5) && close(a.mean_score, 0.55));
        assert_eq!(a.roc_auc, Some(1.0));
        assert!(close(a.ece, 0.25) && close(a.predicted_positive_rate, 0.5));
        // B: labels 1 0 1 0, scores .6 .3 .2 .1: three of four pairs ordered;
        // ECE (.4 + .3 + .8 + .1) / 4; one of four above one half.
        assert!(close(b.positive_rate, 0.5) && close(b.mean_score, 0.3));
        assert_eq!(b.roc_auc, Some(0.75));
        assert!(close(b.ece, 0.4) && close(b.predicted_positive_rate, 0.25));
        // Missing: two positives at .8 and .55, both predicted positive.
        assert_eq!(missing.roc_auc, None);
        assert!(close(missing.positive_rate, 1.0) && close(missing.mean_score, 0.675));
        assert!(close(missing.ece, (0.2 + 0.45) / 2.0));
        // Against the highest rate (1.0): A 0.5 and B 0.25 fail four fifths.
        assert!(close(a.ratio_to_highest, 0.5) && close(b.ratio_to_highest, 0.25));
        assert!(close(missing.ratio_to_highest, 1.0) && !missing.flagged);
        assert_eq!(report.flagged_groups, ["A", "B"]);
    }

    #[test]
    fn a_lower_threshold_flags_only_b() {
        let (groups, p, y) = table();
        let report = group_fairness("region", &groups, &p, &y, 0.15).unwrap();
        let ratios: Vec<f64> = report.groups.iter().map(|g| g.ratio_to_highest).collect();
        // Above 0.15: all of A and of the missing, three of four in B.
        assert_eq!(ratios, [1.0, 1.0, 0.75]);
        assert_eq!(report.flagged_groups, ["B"]);
        assert!(close(report.threshold, 0.15));
    }

    #[test]
    fn strings_work_and_nobody_predicted_positive_flags_nobody() {
        let groups = ["x", "y", "x"].map(String::from);
        let report =
            group_fairness("g", &groups, &[0.1, 0.2, 0.3], &[true, false, false], 0.5).unwrap();
        assert!(report.groups.iter().all(|g| g.ratio_to_highest == 1.0));
        assert!(report.flagged_groups.is_empty());
        assert_eq!(group_fairness("g", &groups, &[0.1], &[true], 0.5), None);
    }
}
