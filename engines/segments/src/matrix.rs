//! Dense feature rows and their standardisation with the population std.

use serde::{Deserialize, Serialize};

use crate::error::SegmentError;

/// A dense, row-major table of `rows` x `cols` finite numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Points {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl Points {
    /// Wraps row-major `data`; its length must be `rows * cols`, every value finite.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Points, SegmentError> {
        if data.len() != rows * cols {
            return Err(SegmentError::Internal(format!(
                "{} values for {rows} x {cols} points",
                data.len()
            )));
        }
        if let Some(at) = data.iter().position(|x| !x.is_finite()) {
            return Err(SegmentError::NonFinite {
                column: format!("feature {}", at % cols.max(1)),
                row: at / cols.max(1),
            });
        }
        Ok(Points { rows, cols, data })
    }

    /// Builds points from rows of equal width.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Points, SegmentError> {
        let cols = rows.first().map_or(0, Vec::len);
        if let Some(bad) = rows.iter().find(|r| r.len() != cols) {
            return Err(SegmentError::WrongWidth {
                expected: cols,
                found: bad.len(),
            });
        }
        Points::new(rows.len(), cols, rows.concat())
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (features).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i`; panics past the end, like slice indexing.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }
}

/// Per-column mean and population standard deviation, to map values to
/// z-scores and back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    /// Column means.
    pub means: Vec<f64>,
    /// Column population stds; a constant column keeps 1 so that it maps to 0.
    pub stds: Vec<f64>,
}

impl Standardiser {
    /// Means and population stds (divided by n, not n - 1) of every column.
    pub fn fit(points: &Points) -> Standardiser {
        let (n, d) = (points.rows(), points.cols());
        let mut means = vec![0.0; d];
        for i in 0..n {
            for (m, x) in means.iter_mut().zip(points.row(i)) {
                *m += x;
            }
        }
        let count = n.max(1) as f64;
        means.iter_mut().for_each(|m| *m /= count);
        let mut vars = vec![0.0; d];
        for i in 0..n {
            for ((v, x), m) in vars.iter_mut().zip(points.row(i)).zip(&means) {
                *v += (x - m) * (x - m);
            }
        }
        let stds = vars
            .iter()
            .zip(&means)
            .map(|(v, m)| {
                let std = (v / count).sqrt();
                // A spread at rounding level of the mean is no spread at all.
                if std > 1e-12 * m.abs().max(1.0) {
                    std
                } else {
                    1.0
                }
            })
            .collect();
        Standardiser { means, stds }
    }

    /// The z-scores of `points`.
    pub fn transform(&self, points: &Points) -> Points {
        let data = points
            .as_slice()
            .chunks(points.cols().max(1))
            .flat_map(|row| self.to_z(row))
            .collect();
        Points {
            rows: points.rows(),
            cols: points.cols(),
            data,
        }
    }

    /// One row in original units to z-scores.
    pub fn to_z(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .zip(self.means.iter().zip(&self.stds))
            .map(|(x, (m, s))| (x - m) / s)
            .collect()
    }

    /// One row of z-scores back to original units.
    pub fn from_z(&self, z: &[f64]) -> Vec<f64> {
        z.iter()
            .zip(self.means.iter().zip(&self.stds))
            .map(|(z, (m, s))| z * s + m)
            .collect()
    }
}

/// Squared euclidean distance.
pub(crate) fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardises_with_the_population_std() {
        // Column 0: 1, 2, 3, 4 -> mean 2.5, population variance 1.25.
        let p = Points::from_rows(&[
            vec![1.0, 5.0],
            vec![2.0, 5.0],
            vec![3.0, 5.0],
            vec![4.0, 5.0],
        ])
        .unwrap();
        let s = Standardiser::fit(&p);
        assert_eq!(s.means, vec![2.5, 5.0]);
        assert!((s.stds[0] - 1.25f64.sqrt()).abs() < 1e-15);
        assert_eq!(s.stds[1], 1.0, "a constant column keeps std 1");
        let z = s.transform(&p);
        assert!((z.row(0)[0] + 1.5 / 1.25f64.sqrt()).abs() < 1e-12);
        assert_eq!(z.row(2)[1], 0.0);
        let back = s.from_z(z.row(3));
        assert!((back[0] - 4.0).abs() < 1e-12 && (back[1] - 5.0).abs() < 1e-12);
    }

    #[test]
    fn refuses_ragged_and_non_finite_rows() {
        assert!(matches!(
            Points::from_rows(&[vec![1.0], vec![1.0, 2.0]]),
            Err(SegmentError::WrongWidth { .. })
        ));
        assert!(matches!(
            Points::from_rows(&[vec![1.0, f64::NAN]]),
            Err(SegmentError::NonFinite { row: 0, .. })
        ));
    }
}
