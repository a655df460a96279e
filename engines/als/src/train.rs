//! Training: seeded factors, then alternating half-steps in which every row
//! (a customer, then an item) solves its confidence-weighted least squares
//! with a few conjugate-gradient steps warm-started from its previous
//! factors, as `implicit`'s `least_squares_cg` does. Rows are spread over a
//! bounded number of scoped threads; each row's result depends only on its
//! own inputs, so the factors are the same whatever the thread count.

use std::sync::Mutex;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::matrix::lane;
use serde::{Deserialize, Serialize};
use sprs::CsMat;

/// Rows handed to a thread at a time.
const BLOCK: usize = 64;

/// A squared residual below this means the row is solved (as in `implicit`).
const SOLVED: f32 = 1e-20;

/// A dense row-major matrix of `f32` factors, one row per customer or item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factors {
    dim: usize,
    data: Vec<f32>,
}

impl Factors {
    /// `rows` rows of `dim` factors drawn uniformly from [0, 0.01), the
    /// initialisation of `implicit` 0.7.
    pub fn random(rows: usize, dim: usize, rng: &mut ChaCha8Rng) -> Self {
        let data = (0..rows * dim)
            .map(|_| rng.random::<f32>() * 0.01)
            .collect();
        Self { dim, data }
    }

    /// Number of factors per row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// One row; empty when out of range.
    pub fn row(&self, r: usize) -> &[f32] {
        self.data
            .get(r * self.dim..(r + 1) * self.dim)
            .unwrap_or(&[])
    }

    /// `FᵀF + regularisation · I`, accumulated in `f64`, row-major `dim x dim`.
    pub fn gram(&self, regularisation: f64) -> Vec<f64> {
        let d = self.dim;
        let mut g = vec![0.0f64; d * d];
        for y in self.data.chunks_exact(d) {
            for (a, &ya) in y.iter().enumerate() {
                let ya = f64::from(ya);
                for (slot, &yb) in g[a * d + a..(a + 1) * d].iter_mut().zip(&y[a..]) {
                    *slot += ya * f64::from(yb);
                }
            }
        }
        for a in 0..d {
            g[a * d + a] += regularisation;
            for b in 0..a {
                g[a * d + b] = g[b * d + a];
            }
        }
        g
    }
}

/// The settings of one fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Factors per row.
    pub factors: usize,
    /// Alternating iterations (each a customer and an item half-step).
    pub iterations: usize,
    /// L2 regularisation of every factor row, not scaled by the row's count.
    pub regularisation: f64,
    /// Confidence of an entry per unit of weight.
    pub alpha: f64,
    /// Conjugate-gradient steps per row and half-step.
    pub cg_steps: usize,
    /// Seed of the initial factors.
    pub seed: u64,
    /// Worker threads.
    pub threads: usize,
}

/// Preference and confidence of an entry of weight `w`: confidence
/// `|alpha · w|`, preference 1 for a positive entry and 0 for a negative one
/// (a dislike, as `implicit` reads negative values); unobserved entries have
/// preference 0 and confidence 1.
pub fn confidence(alpha: f32, w: f64) -> (f32, f32) {
    let c = alpha * w as f32;
    if c > 0.0 { (1.0, c) } else { (0.0, -c) }
}

/// Fits customer and item factors on the customer x item matrix `by_customer`
/// (CSR) and its column form `by_item`; returns (customers, items).
pub fn fit(by_customer: &CsMat<f64>, by_item: &CsMat<f64>, s: &Settings) -> (Factors, Factors) {
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let mut users = Factors::random(by_customer.outer_dims(), s.factors, &mut rng);
    let mut items = Factors::random(by_item.outer_dims(), s.factors, &mut rng);
    for _ in 0..s.iterations {
        half_step(by_customer, &mut users, &items, s);
        half_step(by_item, &mut items, &users, s);
    }
    (users, items)
}

/// Updates every row of `target` from the fixed `other` side.
fn half_step(by_row: &CsMat<f64>, target: &mut Factors, other: &Factors, s: &Settings) {
    let d = target.dim;
    if d == 0 || target.data.is_empty() {
        return;
    }
    let gram: Vec<f32> = other
        .gram(s.regularisation)
        .into_iter()
        .map(|g| g as f32)
        .collect();
    let alpha = s.alpha as f32;
    let blocks = target.rows().div_ceil(BLOCK);
    let threads = s.threads.clamp(1, blocks.max(1));
    let work = Mutex::new(target.data.chunks_mut(BLOCK * d).enumerate());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut scratch = Scratch::new(d);
                loop {
                    let next = work.lock().ok().and_then(|mut chunks| chunks.next());
                    let Some((block, chunk)) = next else { break };
                    for (offset, x) in chunk.chunks_exact_mut(d).enumerate() {
                        let (indices, weights) = lane(by_row, block * BLOCK + offset);
                        let row = Row {
                            indices,
                            weights,
                            alpha,
                        };
                        solve_row(&gram, other, &row, s.cg_steps, x, &mut scratch);
                    }
                }
            });
        }
    });
}

/// One row's entries: the other side's indices and the matrix weights.
pub struct Row<'a> {
    /// Indices into the other side's factors.
    pub indices: &'a [usize],
    /// Their weights.
    pub weights: &'a [f64],
    /// Confidence per unit of weight.
    pub alpha: f32,
}

impl Row<'_> {
    /// `(factors, preference, confidence)` of each entry.
    pub fn entries<'o>(&self, other: &'o Factors) -> impl Iterator<Item = (&'o [f32], f32, f32)> {
        self.indices.iter().zip(self.weights).map(move |(&i, &w)| {
            let (p, c) = confidence(self.alpha, w);
            (other.row(i), p, c)
        })
    }
}

/// Per-thread vectors of the conjugate-gradient iteration.
pub struct Scratch {
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
}

impl Scratch {
    /// Vectors for `d` factors.
    pub fn new(d: usize) -> Self {
        Self {
            r: vec![0.0; d],
            p: vec![0.0; d],
            ap: vec![0.0; d],
        }
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// `out = m · x` for a row-major square `m`.
fn matvec(m: &[f32], x: &[f32], out: &mut [f32]) {
    for (o, row) in out.iter_mut().zip(m.chunks_exact(x.len())) {
        *o = dot(row, x);
    }
}

/// `out = A v` with `A = gram + Σ (c - 1) y yᵀ` over the row's entries,
/// without forming `A` (entries of confidence 1 add nothing).
fn apply(gram: &[f32], other: &Factors, row: &Row<'_>, v: &[f32], out: &mut [f32]) {
    matvec(gram, v, out);
    for (y, _, c) in row.entries(other) {
        if c != 1.0 {
            axpy((c - 1.0) * dot(y, v), y, out);
        }
    }
}

/// Improves `x` towards the solution of `A x = b`, `A = FᵀF + λI +
/// Σ (c - 1) y yᵀ` and `b = Σ p c y` over the row's entries (`gram` holds
/// `FᵀF + λI` of the other side `other`), by at most `steps` conjugate-
/// gradient steps from `x` itself. A row without entries gets zeros.
pub fn solve_row(
    gram: &[f32],
    other: &Factors,
    row: &Row<'_>,
    steps: usize,
    x: &mut [f32],
    s: &mut Scratch,
) {
    if row.indices.is_empty() {
        x.fill(0.0);
        return;
    }
    // r = b - A x
    matvec(gram, x, &mut s.r);
    s.r.iter_mut().for_each(|v| *v = -*v);
    for (y, p, c) in row.entries(other) {
        axpy(p * c - (c - 1.0) * dot(y, x), y, &mut s.r);
    }
    s.p.copy_from_slice(&s.r);
    let mut rs_old = dot(&s.r, &s.r);
    if rs_old < SOLVED {
        return;
    }
    for _ in 0..steps {
        apply(gram, other, row, &s.p, &mut s.ap);
        // In f32 a direction can lose all curvature before the residual
        // vanishes; stopping there keeps the factors finite.
        let curvature = dot(&s.p, &s.ap);
        if curvature.is_nan() || curvature <= 0.0 {
            break;
        }
        let step = rs_old / curvature;
        axpy(step, &s.p, x);
        axpy(-step, &s.ap, &mut s.r);
        let rs_new = dot(&s.r, &s.r);
        if rs_new < SOLVED {
            break;
        }
        let keep = rs_new / rs_old;
        for (p, r) in s.p.iter_mut().zip(&s.r) {
            *p = r + keep * *p;
        }
        rs_old = rs_new;
    }
}

#[cfg(test)]
impl Factors {
    /// Factors from explicit values, row-major.
    pub fn new(dim: usize, data: Vec<f32>) -> Self {
        Self { dim, data }
    }
}
