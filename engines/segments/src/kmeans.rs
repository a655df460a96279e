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

/// Calls `$f::<W>` with the smallest lane count `W` in 4, 8, 16, 32, 64 holding `$m` centres.
macro_rules! with_lanes {
    ($m:expr, $f:ident($($arg:expr),*)) => {
        match $m {
            0..=4 => $f::<4>($($arg),*),
            5..=8 => $f::<8>($($arg),*),
            9..=16 => $f::<16>($($arg),*),
            17..=32 => $f::<32>($($arg),*),
            _ => $f::<64>($($arg),*),
        }
    };
}

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
    if opts.k > crate::params::MAX_K {
        return Err(SegmentError::invalid_param(
            "k",
            format!("{} is above the maximum {}", opts.k, crate::params::MAX_K),
        ));
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
    let mut candidate_dists = vec![0.0; n * trials];
    for _ in 1..k {
        let mut acc = 0.0;
        for (c, d) in cumulative.iter_mut().zip(&closest) {
            acc += d;
            *c = acc;
        }
        // All trials are drawn first (as scikit-learn does), then scored in one pass.
        let ids: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential;
                // First index whose cumulative sum reaches the target (numpy's searchsorted).
                cumulative.partition_point(|c| *c < target).min(n - 1)
            })
            .collect();
        let candidates: Vec<f64> = ids.iter().flat_map(|&id| points.row(id).to_vec()).collect();
        let pots = with_lanes!(
            trials,
            candidate_potentials(points, &candidates, trials, &closest, &mut candidate_dists)
        );
        // The lowest potential, the first on ties (numpy's argmin).
        let mut best = 0;
        for t in 1..trials {
            if pots[t] < pots[best] {
                best = t;
            }
        }
        potential = pots[best];
        closest.copy_from_slice(&candidate_dists[best * n..(best + 1) * n]);
        centres.extend_from_slice(points.row(ids[best]));
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
    with_lanes!(k, assign_lanes(points, centres, k, labels, nearest));
}

fn assign_lanes<const W: usize>(
    points: &Points,
    centres: &[f64],
    k: usize,
    labels: &mut [u32],
    nearest: &mut [f64],
) {
    let d = points.cols();
    let lanes = lanes::<W>(centres, d, k);
    let mut dist = [0.0; W];
    for ((row, label), near) in points
        .as_slice()
        .chunks_exact(d)
        .zip(labels.iter_mut())
        .zip(nearest.iter_mut())
    {
        sq_dists::<W>(row, &lanes, &mut dist);
        let (mut best, mut best_d) = (0, dist[0]);
        for (c, &dc) in dist.iter().enumerate().take(k).skip(1) {
            if dc < best_d {
                best = c;
                best_d = dc;
            }
        }
        *label = best as u32;
        *near = best_d;
    }
}

/// For each of `m` candidate centres: `out[t * n + i]` = min(`closest[i]`,
/// squared distance of point `i` to candidate `t`); returns the sums.
fn candidate_potentials<const W: usize>(
    points: &Points,
    candidates: &[f64],
    m: usize,
    closest: &[f64],
    out: &mut [f64],
) -> Vec<f64> {
    let (n, d) = (points.rows(), points.cols());
    let lanes = lanes::<W>(candidates, d, m);
    let mut dist = [0.0; W];
    let mut pots = vec![0.0; m];
    for (i, row) in points.as_slice().chunks_exact(d).enumerate() {
        sq_dists::<W>(row, &lanes, &mut dist);
        for t in 0..m {
            let v = closest[i].min(dist[t]);
            out[t * n + i] = v;
            pots[t] += v;
        }
    }
    pots
}

/// A coordinate no point is near: padding lanes never win a comparison.
const FAR: f64 = 1e100;

/// `m` row-major centres laid out feature-major in `W` lanes, padded with [`FAR`].
fn lanes<const W: usize>(centres: &[f64], d: usize, m: usize) -> Vec<f64> {
    let mut lanes = vec![FAR; d * W];
    for c in 0..m.min(W) {
        for j in 0..d {
            lanes[j * W + c] = centres[c * d + j];
        }
    }
    lanes
}

/// Squared distances of `row` to the `W` lanes; the inner loop has a fixed
/// length so that it vectorises.
#[inline(always)]
fn sq_dists<const W: usize>(row: &[f64], lanes: &[f64], out: &mut [f64; W]) {
    *out = [0.0; W];
    for (x, lane) in row.iter().zip(lanes.chunks_exact(W)) {
        let Ok(lane) = <&[f64; W]>::try_from(lane) else {
            continue;
        };
        for c in 0..W {
            let diff = x - lane[c];
            out[c] += diff * diff;
        }
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
