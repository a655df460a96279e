//! k-means with scikit-learn's semantics: greedy k-means++ seeding
//! (2 + ln k local trials), Lloyd iterations until the labels stop changing
//! or the total squared centre shift falls to `tol` times the mean feature
//! variance, `max_iter` at most, empty clusters re-seeded with the points
//! farthest from their centres, and the lowest inertia of `n_init` seeded
//! restarts kept.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::SegmentError;
use crate::matrix::{Points, sq_dist};

/// Settings of one k-means fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KMeansOptions {
    /// Number of clusters.
    pub k: usize,
    /// Seeded restarts; the lowest inertia is kept.
    pub n_init: usize,
    /// Most Lloyd iterations per restart.
    pub max_iter: usize,
    /// Tolerance on the total squared centre shift, relative to the mean feature variance.
    pub tol: f64,
    /// Seed of the restarts' random numbers.
    pub seed: u64,
}

impl Default for KMeansOptions {
    fn default() -> Self {
        KMeansOptions {
            k: 8,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }
}

/// How one restart ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Its inertia.
    pub inertia: f64,
    /// Lloyd iterations run.
    pub iterations: usize,
    /// Whether it stopped by tolerance or stable labels (not by `max_iter`).
    pub converged: bool,
}

/// The best restart of a k-means fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Number of clusters.
    pub k: usize,
    /// Centres, `k` rows of the points' width.
    pub centres: Points,
    /// Cluster of every point.
    pub labels: Vec<u32>,
    /// Sum of squared distances of the points to their centres.
    pub inertia: f64,
    /// Lloyd iterations of the kept restart.
    pub iterations: usize,
    /// Every restart, in order.
    pub runs: Vec<RunSummary>,
}

impl Clustering {
    /// Points per cluster, by cluster index.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.k];
        for &l in &self.labels {
            sizes[l as usize] += 1;
        }
        sizes
    }
}

/// Fits k-means on `points` (usually standardised).
pub fn kmeans(points: &Points, opts: &KMeansOptions) -> Result<Clustering, SegmentError> {
    let (n, d) = (points.rows(), points.cols());
    if n == 0 {
        return Err(SegmentError::NoRows);
    }
    if opts.k == 0 || n < opts.k {
        return Err(SegmentError::TooFewRows { rows: n, k: opts.k });
    }
    if d == 0 {
        return Err(SegmentError::NoFeatures);
    }
    let tol = opts.tol * mean_variance(points);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut best: Option<Clustering> = None;
    let mut runs = Vec::with_capacity(opts.n_init.max(1));
    for _ in 0..opts.n_init.max(1) {
        let init = kmeans_plusplus(points, opts.k, &mut rng);
        let run = lloyd(points, init, opts.k, opts.max_iter.max(1), tol);
        runs.push(run.summary);
        if best
            .as_ref()
            .is_none_or(|b| run.summary.inertia < b.inertia)
        {
            best = Some(Clustering {
                k: opts.k,
                centres: Points::new(opts.k, d, run.centres)?,
                labels: run.labels,
                inertia: run.summary.inertia,
                iterations: run.summary.iterations,
                runs: Vec::new(),
            });
        }
    }
    let mut best = best.ok_or_else(|| SegmentError::Internal("no k-means restart ran".into()))?;
    best.runs = runs;
    Ok(best)
}

fn mean_variance(points: &Points) -> f64 {
    let s = crate::matrix::Standardiser::fit(points);
    let (n, d) = (points.rows(), points.cols());
    let mut total = 0.0;
    for i in 0..n {
        total += sq_dist(points.row(i), &s.means);
    }
    total / (n * d) as f64
}

/// Greedy k-means++ seeding: the first centre uniformly, each next one the
/// best (lowest potential) of `2 + ln k` candidates drawn with probability
/// proportional to the squared distance to the nearest chosen centre.
/// Returns `k` centres, row-major.
pub fn kmeans_plusplus(points: &Points, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let n = points.rows();
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Vec::with_capacity(k * points.cols());
    let first = rng.random_range(0..n);
    centres.extend_from_slice(points.row(first));
    let mut closest: Vec<f64> = (0..n)
        .map(|i| sq_dist(points.row(i), points.row(first)))
        .collect();
    let mut potential: f64 = closest.iter().sum();
    let mut cumulative = vec![0.0; n];
    let mut candidate_dists = vec![0.0; n];
    let mut best_dists = vec![0.0; n];
    for _ in 1..k {
        let mut acc = 0.0;
        for (c, d) in cumulative.iter_mut().zip(&closest) {
            acc += d;
            *c = acc;
        }
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..trials {
            let target = rng.random::<f64>() * potential;
            // First index whose cumulative sum reaches the target (numpy's searchsorted).
            let id = cumulative.partition_point(|c| *c < target).min(n - 1);
            let candidate = points.row(id);
            let mut pot = 0.0;
            for (i, (out, old)) in candidate_dists.iter_mut().zip(&closest).enumerate() {
                *out = old.min(sq_dist(points.row(i), candidate));
                pot += *out;
            }
            if best.is_none_or(|(p, _)| pot < p) {
                best = Some((pot, id));
                std::mem::swap(&mut best_dists, &mut candidate_dists);
            }
        }
        if let Some((pot, id)) = best {
            potential = pot;
            std::mem::swap(&mut closest, &mut best_dists);
            centres.extend_from_slice(points.row(id));
        }
    }
    centres
}

struct Run {
    centres: Vec<f64>,
    labels: Vec<u32>,
    summary: RunSummary,
}

fn lloyd(points: &Points, mut centres: Vec<f64>, k: usize, max_iter: usize, tol: f64) -> Run {
    let n = points.rows();
    let mut labels = vec![u32::MAX; n];
    let mut previous = labels.clone();
    let mut nearest = vec![0.0; n];
    let mut iterations = 0;
    let mut strict = false;
    let mut converged = false;
    for i in 0..max_iter {
        assign_all(points, &centres, k, &mut labels, &mut nearest);
        let updated = update_centres(points, &labels, &nearest, k);
        let shift = sq_dist(&updated, &centres);
        centres = updated;
        iterations = i + 1;
        if labels == previous {
            strict = true;
            converged = true;
            break;
        }
        if shift <= tol {
            converged = true;
            break;
        }
        previous.copy_from_slice(&labels);
    }
    if !strict {
        // Labels of the final centres, so that inertia and labels agree.
        assign_all(points, &centres, k, &mut labels, &mut nearest);
    }
    let d = points.cols();
    let inertia = (0..n)
        .map(|i| {
            let c = labels[i] as usize;
            sq_dist(points.row(i), &centres[c * d..(c + 1) * d])
        })
        .sum();
    Run {
        centres,
        labels,
        summary: RunSummary {
            inertia,
            iterations,
            converged,
        },
    }
}

/// Nearest centre (lowest index on ties) and its squared distance, for every point.
fn assign_all(points: &Points, centres: &[f64], k: usize, labels: &mut [u32], nearest: &mut [f64]) {
    let d = points.cols();
    // Feature-major centres, so the inner loop runs over centres and vectorises.
    let mut by_feature = vec![0.0; d * k];
    for c in 0..k {
        for j in 0..d {
            by_feature[j * k + c] = centres[c * d + j];
        }
    }
    let mut dist = vec![0.0; k];
    for (i, row) in points.as_slice().chunks_exact(d).enumerate() {
        dist.iter_mut().for_each(|x| *x = 0.0);
        for (j, x) in row.iter().enumerate() {
            let column = &by_feature[j * k..(j + 1) * k];
            for (acc, c) in dist.iter_mut().zip(column) {
                let diff = x - c;
                *acc += diff * diff;
            }
        }
        let (mut best, mut best_d) = (0, dist[0]);
        for (c, &dc) in dist.iter().enumerate().skip(1) {
            if dc < best_d {
                best = c;
                best_d = dc;
            }
        }
        labels[i] = best as u32;
        nearest[i] = best_d;
    }
}

/// Means of the clusters; an empty cluster takes the point farthest from its
/// centre (scikit-learn's relocation), which leaves its old cluster.
fn update_centres(points: &Points, labels: &[u32], nearest: &[f64], k: usize) -> Vec<f64> {
    let d = points.cols();
    let mut sums = vec![0.0; k * d];
    let mut counts = vec![0usize; k];
    for (i, &l) in labels.iter().enumerate() {
        let l = l as usize;
        counts[l] += 1;
        for (s, x) in sums[l * d..(l + 1) * d].iter_mut().zip(points.row(i)) {
            *s += x;
        }
    }
    let empty: Vec<usize> = (0..k).filter(|&c| counts[c] == 0).collect();
    if !empty.is_empty() {
        let mut far: Vec<usize> = (0..labels.len()).collect();
        far.sort_by(|&a, &b| nearest[b].total_cmp(&nearest[a]).then(a.cmp(&b)));
        for (&c, &i) in empty.iter().zip(&far) {
            let old = labels[i] as usize;
            if counts[old] <= 1 {
                continue;
            }
            counts[old] -= 1;
            counts[c] = 1;
            for (j, x) in points.row(i).iter().enumerate() {
                sums[old * d + j] -= x;
                sums[c * d + j] = *x;
            }
        }
    }
    for c in 0..k {
        let count = counts[c].max(1) as f64;
        sums[c * d..(c + 1) * d]
            .iter_mut()
            .for_each(|s| *s /= count);
    }
    sums
}

/// The nearest of `centres` (row-major, `k` rows) to `row`, with its squared distance.
pub fn nearest_centre(centres: &Points, row: &[f64]) -> (usize, f64) {
    (0..centres.rows())
        .map(|c| (c, sq_dist(centres.row(c), row)))
        .fold(
            (0, f64::INFINITY),
            |best, cur| {
                if cur.1 < best.1 { cur } else { best }
            },
        )
}
