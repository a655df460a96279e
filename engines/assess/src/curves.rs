//! Ranking curves of a scorer: ROC, precision-recall with average precision,
//! and cumulative gains with lift by decile.

use serde::{Deserialize, Serialize};

/// One point of the ROC curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// False positive rate when rows scoring at least `threshold` are flagged.
    pub fpr: f64,
    /// True positive rate at the same threshold.
    pub tpr: f64,
    /// The score threshold; `None` for the starting point where nothing is flagged.
    pub threshold: Option<f64>,
}

/// One point of the precision-recall curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrPoint {
    /// Share of all positives among the rows scoring at least `threshold`.
    pub recall: f64,
    /// Share of flagged rows that are positive.
    pub precision: f64,
    /// The score threshold; `None` for the starting point (recall 0, precision 1).
    pub threshold: Option<f64>,
}

/// Confusion counts when every row scoring at least `threshold` is flagged.
struct Cut {
    threshold: f64,
    true_positives: usize,
    false_positives: usize,
}

/// Cuts at each distinct score, highest first (tied scores are one cut),
/// and the number of positives and negatives. `None` when the lengths differ
/// or there are no rows.
fn cuts(scores: &[f64], labels: &[bool]) -> Option<(Vec<Cut>, usize, usize)> {
    if scores.is_empty() || scores.len() != labels.len() {
        return None;
    }
    let order = descending(scores);
    let mut cuts: Vec<Cut> = Vec::new();
    let (mut tp, mut fp) = (0, 0);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_tie = order
            .get(k + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_tie {
            cuts.push(Cut {
                threshold: scores[i],
                true_positives: tp,
                false_positives: fp,
            });
        }
    }
    Some((cuts, tp, fp))
}

/// Row indices by score, highest first; ties keep input order.
fn descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// The ROC curve from (0, 0) to (1, 1), one point per distinct score.
/// `None` unless both classes are present and the lengths agree.
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Option<Vec<RocPoint>> {
    let (cuts, positives, negatives) = cuts(scores, labels)?;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let start = RocPoint {
        fpr: 0.0,
        tpr: 0.0,
        threshold: None,
    };
    let points = cuts.iter().map(|cut| RocPoint {
        fpr: cut.false_positives as f64 / negatives as f64,
        tpr: cut.true_positives as f64 / positives as f64,
        threshold: Some(cut.threshold),
    });
    Some(std::iter::once(start).chain(points).collect())
}

/// Area under a ROC curve by the trapezoid rule.
pub fn trapezoid_auc(points: &[RocPoint]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0)
        .sum()
}

/// The precision-recall curve, recall rising: the start (recall 0,
/// precision 1), then one point per distinct score. `None` when there is no
/// positive or the lengths differ.
pub fn precision_recall_curve(scores: &[f64], labels: &[bool]) -> Option<Vec<PrPoint>> {
    let (cuts, positives, _) = cuts(scores, labels)?;
    if positives == 0 {
        return None;
    }
    let start = PrPoint {
        recall: 0.0,
        precision: 1.0,
        threshold: None,
    };
    let points = cuts.iter().map(|cut| PrPoint {
        recall: cut.true_positives as f64 / positives as f64,
        precision: cut.true_positives as f64 / (cut.true_positives + cut.false_positives) as f64,
        threshold: Some(cut.threshold),
    });
    Some(std::iter::once(start).chain(points).collect())
}

/// Average precision as scikit-learn's `average_precision_score`: the sum
/// over distinct thresholds of (R_n - R_{n-1}) P_n, without interpolation.
/// `None` when there is no positive or the lengths differ.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let curve = precision_recall_curve(scores, labels)?;
    Some(
        curve
            .windows(2)
            .map(|w| (w[1].recall - w[0].recall) * w[1].precision)
            .sum(),
    )
}

/// One decile of the rows ranked by score, highest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GainsRow {
    /// 1 for the top tenth of rows, up to 10.
    pub decile: usize,
    /// Rows in this decile.
    pub rows: usize,
    /// Positive rows in this decile.
    pub positives: usize,
    /// Share of all rows in the top `decile` tenths.
    pub share_of_rows: f64,
    /// Cumulative gain: share of all positives captured in the top `decile` tenths.
    pub gain: f64,
    /// Positive rate of this decile over the overall positive rate; `None` when it is empty.
    pub lift: Option<f64>,
    /// Cumulative lift: `gain / share_of_rows`; `None` while no row is covered.
    pub cumulative_lift: Option<f64>,
}

/// Cumulative gains and lift for the ten deciles of rows ranked by score
/// (decile k holds ranks `floor((k-1)n/10)..floor(kn/10)`; tied scores
/// across a boundary keep input order). `None` when there is no positive or
/// the lengths differ.
pub fn gains(scores: &[f64], labels: &[bool]) -> Option<Vec<GainsRow>> {
    if scores.is_empty() || scores.len() != labels.len() {
        return None;
    }
    let total_positives = labels.iter().filter(|&&l| l).count();
    if total_positives == 0 {
        return None;
    }
    let n = scores.len();
    let base_rate = total_positives as f64 / n as f64;
    let order = descending(scores);
    let (mut start, mut captured) = (0, 0);
    let rows = (1..=10)
        .map(|decile| {
            let end = decile * n / 10;
            let positives = order[start..end].iter().filter(|&&i| labels[i]).count();
            captured += positives;
            let rows = end - start;
            start = end;
            let share_of_rows = end as f64 / n as f64;
            let gain = captured as f64 / total_positives as f64;
            GainsRow {
                decile,
                rows,
                positives,
                share_of_rows,
                gain,
                lift: (rows > 0).then(|| positives as f64 / rows as f64 / base_rate),
                cumulative_lift: (end > 0).then(|| gain / share_of_rows),
            }
        })
        .collect();
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rapport_core::scoring::eval::roc_auc;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // scikit-learn's documentation example: roc_auc 0.75, average precision 0.8333.
    const S: [f64; 4] = [0.1, 0.4, 0.35, 0.8];
    const Y: [bool; 4] = [false, false, true, true];

    #[test]
    fn roc_points_by_hand_and_trapezoid_is_core_auc() {
        let roc = roc_curve(&S, &Y).unwrap();
        let xy: Vec<(f64, f64)> = roc.iter().map(|p| (p.fpr, p.tpr)).collect();
        assert_eq!(
            xy,
            [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]
        );
        let thresholds: Vec<Option<f64>> = roc.iter().map(|p| p.threshold).collect();
        assert_eq!(
            thresholds,
            [None, Some(0.8), Some(0.4), Some(0.35), Some(0.1)]
        );
        assert!(close(trapezoid_auc(&roc), 0.75));
        assert!(close(trapezoid_auc(&roc), roc_auc(&S, &Y).unwrap()));
    }

    #[test]
    fn tied_scores_are_one_point() {
        let (s, y) = ([0.5, 0.5, 0.2, 0.7, 0.2], [true, false, false, true, true]);
        let roc = roc_curve(&s, &y).unwrap();
        // Cuts 0.7 (tp 1), 0.5 (tp 2, fp 1), 0.2 (tp 3, fp 2).
        let xy: Vec<(f64, f64)> = roc.iter().map(|p| (p.fpr, p.tpr)).collect();
        assert_eq!(
            xy,
            [(0.0, 0.0), (0.0, 1.0 / 3.0), (0.5, 2.0 / 3.0), (1.0, 1.0)]
        );
        // Pairs: 0.7 beats both negatives, 0.5 ties one and beats one, 0.2 ties
        // one and loses one: (2 + 1.5 + 0.5) / 6 = 2/3.
        assert!(close(trapezoid_auc(&roc), 2.0 / 3.0));
        assert!(close(trapezoid_auc(&roc), roc_auc(&s, &y).unwrap()));
        assert_eq!(roc_curve(&s, &[true; 5]), None);
    }

    #[test]
    fn precision_recall_and_average_precision_by_hand() {
        let pr = precision_recall_curve(&S, &Y).unwrap();
        let rp: Vec<(f64, f64)> = pr.iter().map(|p| (p.recall, p.precision)).collect();
        assert_eq!(
            rp,
            [
                (0.0, 1.0),
                (0.5, 1.0),
                (0.5, 0.5),
                (1.0, 2.0 / 3.0),
                (1.0, 0.5)
            ]
        );
        // 0.5 * 1 + 0 * 0.5 + 0.5 * 2/3 + 0 * 0.5
        assert!(close(average_precision(&S, &Y).unwrap(), 5.0 / 6.0));
        assert_eq!(average_precision(&S, &[false; 4]), None);
    }

    #[test]
    fn gains_and_lift_by_hand() {
        // Ten rows ranked by score, positives at ranks 1, 2 and 4: one row per decile.
        let s: Vec<f64> = (0..10).map(|i| 1.0 - i as f64 / 10.0).collect();
        let y = [
            true, true, false, true, false, false, false, false, false, false,
        ];
        let g = gains(&s, &y).unwrap();
        assert_eq!(g.len(), 10);
        let gain: Vec<f64> = g.iter().map(|r| r.gain).collect();
        let third = 1.0 / 3.0;
        let expected = [
            third,
            2.0 * third,
            2.0 * third,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
            1.0,
        ];
        assert!(gain.iter().zip(expected).all(|(&a, b)| close(a, b)));
        // Base rate 0.3: a positive decile has lift 1/0.3, a negative one 0.
        assert!(close(g[0].lift.unwrap(), 1.0 / 0.3));
        assert!(close(g[2].lift.unwrap(), 0.0));
        assert!(close(g[1].cumulative_lift.unwrap(), (2.0 / 3.0) / 0.2));
        assert!(close(g[9].cumulative_lift.unwrap(), 1.0));
        assert!(close(g[9].share_of_rows, 1.0));
    }

    #[test]
    fn gains_of_few_rows_leave_empty_deciles() {
        let g = gains(&[0.9, 0.1, 0.5], &[true, false, false]).unwrap();
        let rows: Vec<usize> = g.iter().map(|r| r.rows).collect();
        // floor(k * 3 / 10): 0, 0, 0, 1, 1, 1, 2, 2, 2, 3.
        assert_eq!(rows, [0, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
        assert_eq!(g[0].lift, None);
        assert_eq!(g[0].cumulative_lift, None);
        assert!(close(g[3].gain, 1.0));
        assert!(close(g[3].lift.unwrap(), 3.0));
    }
}
