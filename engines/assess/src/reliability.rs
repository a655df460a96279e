//! How far probabilities are from the observed rates: the Brier score, the
//! expected calibration error and the reliability table behind both.

use serde::{Deserialize, Serialize};

/// Number of equal-width probability bins used unless the caller says otherwise.
pub const DEFAULT_BINS: usize = 10;

/// Mean squared difference between probability and outcome (1 for positive,
/// 0 for negative). `None` when there are no rows or the lengths differ.
pub fn brier_score(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let total: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &positive)| (p - f64::from(u8::from(positive))).powi(2))
        .sum();
    Some(total / probabilities.len() as f64)
}

/// One equal-width probability bin of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin (inclusive).
    pub lower: f64,
    /// Upper edge of the bin (exclusive, except 1.0 for the last bin).
    pub upper: f64,
    /// Rows whose probability falls in the bin.
    pub count: usize,
    /// Mean probability of those rows; `None` for an empty bin.
    pub mean_predicted: Option<f64>,
    /// Share of those rows that are positive; `None` for an empty bin.
    pub observed_rate: Option<f64>,
}

/// The reliability table: `bins` equal-width bins over `[0, 1]`, every bin
/// listed (empty ones with no means). Probabilities outside `[0, 1]` count in
/// the end bins. `None` when there are no rows, the lengths differ or `bins` is 0.
pub fn reliability_table(
    probabilities: &[f64],
    labels: &[bool],
    bins: usize,
) -> Option<Vec<ReliabilityBin>> {
    if bins == 0 || probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    // Per bin: rows, sum of probabilities, positives.
    let mut sums = vec![(0usize, 0.0f64, 0usize); bins];
    for (&p, &positive) in probabilities.iter().zip(labels) {
        let bin = ((p.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        let (count, total, positives) = &mut sums[bin];
        *count += 1;
        *total += p;
        *positives += usize::from(positive);
    }
    let width = 1.0 / bins as f64;
    let table = sums
        .into_iter()
        .enumerate()
        .map(|(b, (count, total, positives))| {
            let mean = |x: f64| (count > 0).then(|| x / count as f64);
            ReliabilityBin {
                lower: b as f64 * width,
                upper: if b + 1 == bins {
                    1.0
                } else {
                    (b + 1) as f64 * width
                },
                count,
                mean_predicted: mean(total),
                observed_rate: mean(positives as f64),
            }
        })
        .collect();
    Some(table)
}

/// Expected calibration error: the row-weighted mean over `bins` equal-width
/// bins of |observed rate - mean probability|. `None` as for [`reliability_table`].
pub fn expected_calibration_error(
    probabilities: &[f64],
    labels: &[bool],
    bins: usize,
) -> Option<f64> {
    let table = reliability_table(probabilities, labels, bins)?;
    Some(ece_of_table(&table, probabilities.len()))
}

/// ECE from a table covering `rows` rows.
fn ece_of_table(table: &[ReliabilityBin], rows: usize) -> f64 {
    table
        .iter()
        .filter_map(|bin| {
            let gap = (bin.observed_rate? - bin.mean_predicted?).abs();
            Some(bin.count as f64 / rows as f64 * gap)
        })
        .sum()
}

/// The calibration figures of one set of probabilities, for a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    /// Rows assessed.
    pub rows: usize,
    /// Brier score.
    pub brier: f64,
    /// Mean log loss (probabilities clipped as in `rapport_core`).
    pub log_loss: f64,
    /// Expected calibration error over the table's bins.
    pub ece: f64,
    /// The reliability table.
    pub bins: Vec<ReliabilityBin>,
}

/// Brier score, log loss, ECE and the reliability table with `bins` bins.
/// `None` as for [`reliability_table`].
pub fn reliability(probabilities: &[f64], labels: &[bool], bins: usize) -> Option<Reliability> {
    let table = reliability_table(probabilities, labels, bins)?;
    Some(Reliability {
        rows: probabilities.len(),
        brier: brier_score(probabilities, labels)?,
        log_loss: rapport_core::scoring::eval::log_loss(probabilities, labels)?,
        ece: ece_of_table(&table, probabilities.len()),
        bins: table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    // Six rows, four bins of width 0.25:
    //   [0, .25):   0.1 (neg), 0.2 (pos)      -> mean .15, rate .5
    //   [.25, .5):  empty
    //   [.5, .75):  0.6 (pos)                  -> mean .6,  rate 1
    //   [.75, 1]:   0.8 (pos), 0.9 (neg), 1.0 (pos) -> mean .9, rate 2/3
    const P: [f64; 6] = [0.1, 0.2, 0.6, 0.8, 0.9, 1.0];
    const Y: [bool; 6] = [false, true, true, true, false, true];

    #[test]
    fn table_by_hand() {
        let table = reliability_table(&P, &Y, 4).unwrap();
        assert_eq!(table.len(), 4);
        let counts: Vec<usize> = table.iter().map(|b| b.count).collect();
        assert_eq!(counts, [2, 0, 1, 3]);
        assert!(close(table[0].mean_predicted.unwrap(), 0.15));
        assert!(close(table[0].observed_rate.unwrap(), 0.5));
        assert_eq!(table[1].mean_predicted, None);
        assert!(close(table[1].lower, 0.25) && close(table[1].upper, 0.5));
        assert!(close(table[3].mean_predicted.unwrap(), 0.9));
        assert!(close(table[3].observed_rate.unwrap(), 2.0 / 3.0));
        assert!(close(table[3].upper, 1.0));
    }

    #[test]
    fn ece_and_brier_by_hand() {
        // (2/6)|.5 - .15| + (1/6)|1 - .6| + (3/6)|2/3 - .9|
        let expected = 2.0 / 6.0 * 0.35 + 1.0 / 6.0 * 0.4 + 3.0 / 6.0 * (0.9 - 2.0 / 3.0);
        assert!(close(
            expected_calibration_error(&P, &Y, 4).unwrap(),
            expected
        ));
        assert!(close(expected, 0.3));
        // (.01 + .64 + .16 + .04 + .81 + 0) / 6
        assert!(close(brier_score(&P, &Y).unwrap(), 1.66 / 6.0));
        let all = reliability(&P, &Y, 4).unwrap();
        assert_eq!(all.rows, 6);
        assert!(close(all.ece, 0.3));
        assert!(close(all.brier, 1.66 / 6.0));
    }

    #[test]
    fn perfect_bins_have_no_error_and_bad_input_none() {
        let p = [0.25, 0.25, 0.25, 0.25];
        let y = [true, false, false, false];
        assert!(close(expected_calibration_error(&p, &y, 10).unwrap(), 0.0));
        assert_eq!(expected_calibration_error(&[], &[], 10), None);
        assert_eq!(reliability_table(&p, &y, 0), None);
        assert_eq!(brier_score(&p, &y[..3]), None);
    }
}
