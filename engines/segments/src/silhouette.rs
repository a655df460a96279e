//! Mean silhouette (euclidean), exact over all rows up to a limit and over a
//! seeded sample beyond it, as scikit-learn's `silhouette_score`.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::matrix::Points;

/// Rows scored exactly before sampling starts (DESIGN.md §5).
pub const SILHOUETTE_MAX_ROWS: usize = 20_000;

const LANES: usize = 8;

/// Mean silhouette of `labels` (clusters `0..k`) over `points`; beyond
/// `max_rows` rows, over `max_rows` rows drawn without replacement with
/// `seed`. `None` when fewer than two clusters are occupied.
/// A point alone in its cluster scores 0.
pub fn silhouette(
    points: &Points,
    labels: &[u32],
    k: usize,
    max_rows: usize,
    seed: u64,
) -> Option<f64> {
    let n = points.rows().min(labels.len());
    let rows: Vec<usize> = if n > max_rows.max(2) {
        sample(n, max_rows.max(2), seed)
    } else {
        (0..n).collect()
    };
    exact(points, labels, k, &rows)
}

/// `m` distinct indices below `n`, by a partial Fisher-Yates shuffle.
fn sample(n: usize, m: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut all: Vec<usize> = (0..n).collect();
    for i in 0..m {
        let j = rng.random_range(i..n);
        all.swap(i, j);
    }
    all.truncate(m);
    all
}

fn exact(points: &Points, labels: &[u32], k: usize, rows: &[usize]) -> Option<f64> {
    let d = points.cols();
    // Group the rows by cluster and lay them out feature-major, so that the
    // distance sums over one cluster run over contiguous memory.
    let mut order: Vec<usize> = rows.to_vec();
    order.sort_by_key(|&i| (labels[i], i));
    let mut starts = vec![0usize; k + 1];
    for &i in &order {
        starts[labels[i] as usize + 1] += 1;
    }
    for c in 0..k {
        starts[c + 1] += starts[c];
    }
    if (0..k).filter(|&c| starts[c + 1] > starts[c]).count() < 2 {
        return None;
    }
    let m = order.len();
    let columns: Vec<Vec<f64>> = (0..d)
        .map(|j| order.iter().map(|&i| points.row(i)[j]).collect())
        .collect();
    // Each pair is measured once: row i's distances to the rows after it
    // feed i's per-cluster sums (`ahead`) and, column-wise, theirs (`behind`).
    let mut ahead = vec![0.0; m * k];
    let mut behind = vec![0.0; k * m];
    let mut here = vec![0.0; d];
    let mut buf = vec![0.0; m];
    for pos in 0..m {
        let own = labels[order[pos]] as usize;
        for (h, col) in here.iter_mut().zip(&columns) {
            *h = col[pos];
        }
        let rest = &mut buf[..m - pos - 1];
        distances(&columns, &here, pos + 1, rest);
        for c in 0..k {
            let (from, to) = (starts[c].max(pos + 1), starts[c + 1]);
            if from < to {
                ahead[pos * k + c] = rest[from - pos - 1..to - pos - 1].iter().sum();
            }
        }
        for (b, x) in behind[own * m + pos + 1..(own + 1) * m]
            .iter_mut()
            .zip(rest.iter())
        {
            *b += x;
        }
    }
    let mut total = 0.0;
    for (pos, &i) in order.iter().enumerate() {
        let own = labels[i] as usize;
        let own_size = starts[own + 1] - starts[own];
        if own_size <= 1 {
            continue;
        }
        let sum = |c: usize| ahead[pos * k + c] + behind[c * m + pos];
        let a = sum(own) / (own_size - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && starts[c + 1] > starts[c])
            .map(|c| sum(c) / (starts[c + 1] - starts[c]) as f64)
            .fold(f64::INFINITY, f64::min);
        let s = if a.max(b) > 0.0 {
            (b - a) / a.max(b)
        } else {
            0.0
        };
        total += s;
    }
    Some(total / m as f64)
}

/// Euclidean distances from `here` to the rows `from..` of the feature-major
/// `columns`, into `out`; full blocks of independent lanes vectorise.
fn distances(columns: &[Vec<f64>], here: &[f64], from: usize, out: &mut [f64]) {
    let mut blocks = out.chunks_exact_mut(LANES);
    let mut start = from;
    for block in &mut blocks {
        let mut sq = [0.0f64; LANES];
        for (col, h) in columns.iter().zip(here) {
            let Ok(xs) = <&[f64; LANES]>::try_from(&col[start..start + LANES]) else {
                continue;
            };
            for l in 0..LANES {
                let diff = xs[l] - h;
                sq[l] += diff * diff;
            }
        }
        for (o, s) in block.iter_mut().zip(&sq) {
            *o = s.sqrt();
        }
        start += LANES;
    }
    for (r, o) in blocks.into_remainder().iter_mut().enumerate() {
        let sq: f64 = columns
            .iter()
            .zip(here)
            .map(|(col, h)| (col[start + r] - h) * (col[start + r] - h))
            .sum();
        *o = sq.sqrt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(points: &Points, labels: &[u32], k: usize) -> f64 {
        let n = points.rows();
        let dist = |i: usize, j: usize| crate::matrix::sq_dist(points.row(i), points.row(j)).sqrt();
        let mut total = 0.0;
        for i in 0..n {
            let mut sums = vec![0.0; k];
            let mut counts = vec![0usize; k];
            for j in 0..n {
                sums[labels[j] as usize] += dist(i, j);
                counts[labels[j] as usize] += 1;
            }
            let own = labels[i] as usize;
            if counts[own] == 1 {
                continue;
            }
            let a = sums[own] / (counts[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && counts[c] > 0)
                .map(|c| sums[c] / counts[c] as f64)
                .fold(f64::INFINITY, f64::min);
            total += (b - a) / a.max(b);
        }
        total / n as f64
    }

    #[test]
    fn five_points_by_hand() {
        // On a line: cluster 0 = {0, 1}, cluster 1 = {4, 5, 7}.
        let p =
            Points::from_rows(&[vec![0.0], vec![1.0], vec![4.0], vec![5.0], vec![7.0]]).unwrap();
        let labels = [0, 0, 1, 1, 1];
        // x=0: a=1, b=(4+5+7)/3=16/3, s=1-3/16=13/16
        // x=1: a=1, b=(3+4+6)/3=13/3, s=1-3/13=10/13
        // x=4: a=(1+3)/2=2, b=(4+3)/2=3.5, s=1-2/3.5=3/7
        // x=5: a=(1+2)/2=1.5, b=(5+4)/2=4.5, s=1-1.5/4.5=2/3
        // x=7: a=(3+2)/2=2.5, b=(7+6)/2=6.5, s=1-2.5/6.5=8/13
        let expected = (13.0 / 16.0 + 10.0 / 13.0 + 3.0 / 7.0 + 2.0 / 3.0 + 8.0 / 13.0) / 5.0;
        let s = silhouette(&p, &labels, 2, 100, 0).unwrap();
        assert!((s - expected).abs() < 1e-12, "{s} vs {expected}");
    }

    #[test]
    fn blocks_agree_with_the_naive_loop_and_singletons_score_zero() {
        let rows: Vec<Vec<f64>> = (0..53)
            .map(|i| {
                vec![
                    f64::from(i % 7),
                    f64::from((i * 13) % 11),
                    f64::from(i) * 0.1,
                ]
            })
            .collect();
        let p = Points::from_rows(&rows).unwrap();
        let mut labels: Vec<u32> = (0..53).map(|i| (i % 3) as u32).collect();
        labels[52] = 3; // a singleton
        let s = silhouette(&p, &labels, 4, 1_000, 0).unwrap();
        assert!((s - naive(&p, &labels, 4)).abs() < 1e-12);
        assert_eq!(silhouette(&p, &[0; 53], 1, 1_000, 0), None);
    }

    #[test]
    fn sampling_is_seeded_and_close() {
        let rows: Vec<Vec<f64>> = (0..400)
            .map(|i| vec![f64::from(i % 2) * 10.0 + f64::from(i % 17) * 0.1])
            .collect();
        let p = Points::from_rows(&rows).unwrap();
        let labels: Vec<u32> = (0..400).map(|i| (i % 2) as u32).collect();
        let full = silhouette(&p, &labels, 2, 1_000, 0).unwrap();
        let a = silhouette(&p, &labels, 2, 100, 7).unwrap();
        assert_eq!(a, silhouette(&p, &labels, 2, 100, 7).unwrap());
        assert!((a - full).abs() < 0.02, "{a} vs {full}");
    }
}
