//! Minimum-cost assignment (the Hungarian algorithm with potentials,
//! O(n^2 m)) and the stable segment ids it gives across refits.

use crate::matrix::{Standardiser, sq_dist};

/// Assigns rows to distinct columns of a `rows` x `cols` row-major cost
/// matrix at least total cost: `min(rows, cols)` pairs, so with more rows
/// than columns some rows get `None`.
pub fn assign(cost: &[f64], rows: usize, cols: usize) -> Vec<Option<usize>> {
    if rows == 0 || cols == 0 {
        return vec![None; rows];
    }
    if rows > cols {
        let transposed: Vec<f64> = (0..cols)
            .flat_map(|c| (0..rows).map(move |r| cost[r * cols + c]))
            .collect();
        let by_col = assign(&transposed, cols, rows);
        let mut out = vec![None; rows];
        for (c, r) in by_col.iter().enumerate() {
            if let Some(r) = r {
                out[*r] = Some(c);
            }
        }
        return out;
    }
    // rows <= cols: 1-based potentials u (rows), v (cols); p[j] = row on column j.
    let (n, m) = (rows, cols);
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0;
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                if cur < minv[j] {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if minv[j] < delta {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; n];
    for j in 1..=m {
        if p[j] > 0 {
            out[p[j] - 1] = Some(j - 1);
        }
    }
    out
}

/// Ids for new segments: each new centre matched (at least total squared
/// distance, in the new model's standardised units) to a previous centre
/// takes its id; the others get fresh ids above every previous one.
/// Centres are in original units; `previous` pairs an id with its centre.
pub fn stable_ids(
    previous: &[(u32, Vec<f64>)],
    centres: &[Vec<f64>],
    standardiser: &Standardiser,
) -> Vec<u32> {
    let width = standardiser.means.len();
    let old: Vec<(u32, Vec<f64>)> = previous
        .iter()
        .filter(|(_, c)| c.len() == width)
        .map(|(id, c)| (*id, standardiser.to_z(c)))
        .collect();
    let new: Vec<Vec<f64>> = centres.iter().map(|c| standardiser.to_z(c)).collect();
    let cost: Vec<f64> = new
        .iter()
        .flat_map(|n| old.iter().map(move |(_, o)| sq_dist(n, o)))
        .collect();
    let matched = assign(&cost, new.len(), old.len());
    let mut next = previous.iter().map(|(id, _)| id + 1).max().unwrap_or(0);
    matched
        .iter()
        .map(|m| match m {
            Some(j) => old[*j].0,
            None => {
                next += 1;
                next - 1
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(cost: &[f64], cols: usize, a: &[Option<usize>]) -> f64 {
        a.iter()
            .enumerate()
            .filter_map(|(r, c)| c.map(|c| cost[r * cols + c]))
            .sum()
    }

    /// Least total over every injection of the smaller side into the larger.
    fn brute(cost: &[f64], rows: usize, cols: usize) -> f64 {
        fn go(cost: &[f64], rows: usize, cols: usize, r: usize, used: &mut Vec<bool>) -> f64 {
            if r == rows {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    best = best.min(cost[r * cols + c] + go(cost, rows, cols, r + 1, used));
                    used[c] = false;
                }
            }
            best
        }
        if rows <= cols {
            go(cost, rows, cols, 0, &mut vec![false; cols])
        } else {
            let t: Vec<f64> = (0..cols)
                .flat_map(|c| (0..rows).map(move |r| cost[r * cols + c]))
                .collect();
            go(&t, cols, rows, 0, &mut vec![false; rows])
        }
    }

    #[test]
    fn matches_brute_force_on_small_matrices() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 100) as f64
        };
        for rows in 1..=6 {
            for cols in 1..=6 {
                for _ in 0..5 {
                    let cost: Vec<f64> = (0..rows * cols).map(|_| next()).collect();
                    let a = assign(&cost, rows, cols);
                    let used: Vec<usize> = a.iter().flatten().copied().collect();
                    assert_eq!(used.len(), rows.min(cols));
                    let mut dedup = used.clone();
                    dedup.sort_unstable();
                    dedup.dedup();
                    assert_eq!(dedup.len(), used.len(), "columns used once");
                    assert_eq!(
                        total(&cost, cols, &a),
                        brute(&cost, rows, cols),
                        "{rows}x{cols}"
                    );
                }
            }
        }
    }

    #[test]
    fn ids_follow_their_centres_and_new_ones_are_fresh() {
        let s = Standardiser {
            means: vec![0.0, 0.0],
            stds: vec![1.0, 1.0],
        };
        let previous = vec![(4, vec![0.0, 0.0]), (9, vec![10.0, 10.0])];
        let centres = vec![vec![9.5, 10.0], vec![50.0, 50.0], vec![0.2, -0.1]];
        assert_eq!(stable_ids(&previous, &centres, &s), vec![9, 10, 4]);
        assert_eq!(stable_ids(&[], &centres, &s), vec![0, 1, 2]);
    }
}
