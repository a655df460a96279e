//! Per-column encoders: standardised numbers with median imputation, and
//! one-hot categories with an "other" bucket.

use serde::{Deserialize, Serialize};

/// The level a missing categorical value is counted under.
pub const MISSING_LEVEL: &str = "(missing)";
/// Name of the bucket for rare and unseen levels.
pub const OTHER_LEVEL: &str = "(other)";

/// Train statistics of a numeric column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericEncoder {
    /// Median of the present train values, used for missing values.
    pub median: f64,
    /// Mean after imputation.
    pub mean: f64,
    /// Population standard deviation after imputation (1 for a constant column).
    pub std: f64,
    /// Whether a 0/1 missing-indicator column follows (train had missing values).
    pub indicator: bool,
}

impl NumericEncoder {
    /// Fits on the train values (`None` = missing); the values must be finite.
    pub fn fit(values: &[Option<f64>]) -> NumericEncoder {
        let mut present: Vec<f64> = values.iter().flatten().copied().collect();
        present.sort_by(f64::total_cmp);
        let median = median_of_sorted(&present);
        let n = values.len().max(1) as f64;
        let imputed = || values.iter().map(|v| v.unwrap_or(median));
        let mean = imputed().sum::<f64>() / n;
        let variance = imputed().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let std = variance.sqrt();
        // A column whose values are all equal (up to rounding, which leaves
        // a spread of about 1e-14) has no spread to scale by: dividing by
        // its noise would make serving-time values explode.
        let (low, high) = imputed().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let constant = high - low <= 1e-9 * high.abs().max(low.abs()).max(1.0);
        NumericEncoder {
            median,
            mean,
            std: if constant { 1.0 } else { std },
            indicator: present.len() < values.len(),
        }
    }

    /// Number of model columns this encoder writes.
    pub fn width(&self) -> usize {
        1 + usize::from(self.indicator)
    }

    /// Writes the standardised value (and the indicator) for one value.
    pub fn encode(&self, value: Option<f64>, out: &mut [f64]) {
        out[0] = (value.unwrap_or(self.median) - self.mean) / self.std;
        if self.indicator {
            out[1] = if value.is_none() { 1.0 } else { 0.0 };
        }
    }
}

fn median_of_sorted(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Train levels of a categorical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalEncoder {
    /// Levels seen at least `min_frequency` times in train, sorted.
    pub levels: Vec<String>,
    /// Whether an "other" column follows (train had rare levels).
    pub other: bool,
}

impl CategoricalEncoder {
    /// Fits on the train levels (missing counted as [`MISSING_LEVEL`]).
    pub fn fit(values: &[String], min_frequency: usize) -> CategoricalEncoder {
        let mut sorted: Vec<&str> = values.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        let mut levels = Vec::new();
        let mut other = false;
        for group in sorted.chunk_by(|a, b| a == b) {
            if group.len() >= min_frequency {
                levels.push(group[0].to_owned());
            } else {
                other = true;
            }
        }
        CategoricalEncoder { levels, other }
    }

    /// Number of model columns this encoder writes.
    pub fn width(&self) -> usize {
        self.levels.len() + usize::from(self.other)
    }

    /// Names of the columns: the levels, then the other bucket.
    pub fn column_levels(&self) -> impl Iterator<Item = &str> {
        let other = self.other.then_some(OTHER_LEVEL);
        self.levels.iter().map(String::as_str).chain(other)
    }

    /// Writes the one-hot vector of a level; an unseen or rare level goes to
    /// "other", or to no column when train had no rare level.
    pub fn encode(&self, level: &str, out: &mut [f64]) {
        out.fill(0.0);
        match self.levels.binary_search_by(|l| l.as_str().cmp(level)) {
            Ok(i) => out[i] = 1.0,
            Err(_) if self.other => out[self.levels.len()] = 1.0,
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imputes_median_and_standardises_after_imputation() {
        // Present values 1, 2, 9: median 2; imputed column 1, 2, 9, 2: mean 3.5.
        let enc = NumericEncoder::fit(&[Some(1.0), Some(2.0), Some(9.0), None]);
        assert_eq!(enc.median, 2.0);
        assert_eq!(enc.mean, 3.5);
        // Variance (6.25 + 2.25 + 30.25 + 2.25) / 4 = 10.25.
        assert!((enc.std - 10.25_f64.sqrt()).abs() < 1e-12);
        assert!(enc.indicator);
        let mut out = [0.0; 2];
        enc.encode(None, &mut out);
        assert!((out[0] - (2.0 - 3.5) / enc.std).abs() < 1e-12);
        assert_eq!(out[1], 1.0);
        enc.encode(Some(9.0), &mut out);
        assert_eq!(out[1], 0.0);
    }

    #[test]
    fn even_count_median_and_constant_column() {
        let enc = NumericEncoder::fit(&[Some(4.0), Some(1.0), Some(3.0), Some(2.0)]);
        assert_eq!(enc.median, 2.5);
        assert!(!enc.indicator);
        assert_eq!(enc.width(), 1);
        let constant = NumericEncoder::fit(&[Some(7.0), Some(7.0)]);
        assert_eq!(constant.std, 1.0);
        // Values equal up to rounding noise (recency computed from the same
        // instant) are constant too, not scaled by the noise.
        let noisy = NumericEncoder::fit(&[Some(1000.0), Some(1000.0 + 1e-12), Some(1000.0)]);
        assert_eq!(noisy.std, 1.0);
    }

    #[test]
    fn rare_and_unseen_levels_go_to_other() {
        let values: Vec<String> = ["a", "a", "b", "b", "c"].map(String::from).to_vec();
        let enc = CategoricalEncoder::fit(&values, 2);
        assert_eq!(enc.levels, ["a", "b"]);
        assert!(enc.other);
        let mut out = [9.0; 3];
        enc.encode("b", &mut out);
        assert_eq!(out, [0.0, 1.0, 0.0]);
        enc.encode("c", &mut out);
        assert_eq!(out, [0.0, 0.0, 1.0]);
        enc.encode("never seen", &mut out);
        assert_eq!(out, [0.0, 0.0, 1.0]);
        let all_kept = CategoricalEncoder::fit(&values, 1);
        let mut out = [9.0; 3];
        all_kept.encode("never seen", &mut out);
        assert_eq!(out, [0.0, 0.0, 0.0]);
    }
}
