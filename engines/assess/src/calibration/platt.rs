//! Platt scaling: p' = sigmoid(a logit(p) + b), fitted by Newton's method
//! with a backtracking line search on the log loss of Platt's smoothed
//! targets (Platt 1999; the safeguarded algorithm of Lin, Lin and Weng 2007).

use rapport_core::scoring::sigmoid;

/// Logits are clipped to `±MAX_LOGIT` (probabilities within about 7e-13 of
/// 0 or 1), so certain scores of 0 and 1 stay finite and symmetric.
const MAX_LOGIT: f64 = 28.0;
/// Newton iterations at most.
const MAX_ITERATIONS: usize = 100;
/// The line search gives up below this step.
const MIN_STEP: f64 = 1e-10;
/// Added to the Hessian's diagonal so it stays invertible (Lin et al.).
const SIGMA: f64 = 1e-12;
/// Converged when both gradient components are this small.
const GRADIENT_TOLERANCE: f64 = 1e-5;

/// The logit of `p`, clipped to `±MAX_LOGIT`.
fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln().clamp(-MAX_LOGIT, MAX_LOGIT)
}

/// Fits `(a, b)` on `probabilities` and `labels`; `None` when there are no
/// rows or the lengths differ. One class is fine: the smoothed targets keep
/// the solution finite.
pub(super) fn fit(probabilities: &[f64], labels: &[bool]) -> Option<(f64, f64)> {
    if probabilities.is_empty() || probabilities.len() != labels.len() {
        return None;
    }
    let positives = labels.iter().filter(|&&l| l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let hi = (positives + 1.0) / (positives + 2.0);
    let lo = 1.0 / (negatives + 2.0);
    let data: Vec<(f64, f64)> = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &positive)| (logit(p), if positive { hi } else { lo }))
        .collect();
    let mut a = 0.0;
    let mut b = ((positives + 1.0) / (negatives + 1.0)).ln();
    let mut value = objective(&data, a, b);
    for _ in 0..MAX_ITERATIONS {
        let (g, h) = gradient_and_hessian(&data, a, b);
        if g[0].abs() < GRADIENT_TOLERANCE && g[1].abs() < GRADIENT_TOLERANCE {
            break;
        }
        let det = h[0] * h[2] - h[1] * h[1];
        let da = -(h[2] * g[0] - h[1] * g[1]) / det;
        let db = -(h[0] * g[1] - h[1] * g[0]) / det;
        let slope = g[0] * da + g[1] * db;
        let mut step = 1.0;
        while step >= MIN_STEP {
            let (na, nb) = (a + step * da, b + step * db);
            let next = objective(&data, na, nb);
            if next < value + 1e-4 * step * slope {
                (a, b, value) = (na, nb, next);
                break;
            }
            step /= 2.0;
        }
        if step < MIN_STEP {
            break;
        }
    }
    Some((a, b))
}

/// The calibrated probability of `p`.
pub(super) fn apply(a: f64, b: f64, p: f64) -> f64 {
    sigmoid(a * logit(p) + b)
}

/// Log loss of targets `t` against sigmoid(a f + b), summed: softplus(z) - t z.
fn objective(data: &[(f64, f64)], a: f64, b: f64) -> f64 {
    data.iter()
        .map(|&(f, t)| {
            let z = a * f + b;
            z.max(0.0) + (-z.abs()).exp().ln_1p() - t * z
        })
        .sum()
}

/// Gradient `[d/da, d/db]` and Hessian `[aa, ab, bb]` of [`objective`].
fn gradient_and_hessian(data: &[(f64, f64)], a: f64, b: f64) -> ([f64; 2], [f64; 3]) {
    let mut g = [0.0; 2];
    let mut h = [SIGMA, 0.0, SIGMA];
    for &(f, t) in data {
        let q = sigmoid(a * f + b);
        let (d1, d2) = (q - t, q * (1.0 - q));
        g[0] += f * d1;
        g[1] += d1;
        h[0] += f * f * d2;
        h[1] += f * d2;
        h[2] += d2;
    }
    (g, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_scores_give_the_smoothed_base_rate() {
        // Targets 4/5 for the three positives and 1/3 for the negative: the
        // fitted constant is their mean, (2.4 + 1/3) / 4 = 41/60.
        let (a, b) = fit(&[0.5; 4], &[true, true, true, false]).unwrap();
        assert!(a.abs() < 1e-9, "a = {a}");
        // Newton stops once the summed gradient is below 1e-5.
        assert!((b - (41.0f64 / 19.0).ln()).abs() < 1e-6, "b = {b}");
        assert!((apply(a, b, 0.9) - 41.0 / 60.0).abs() < 1e-6);
    }

    #[test]
    fn certain_scores_are_clipped_and_fit_finitely() {
        // Logits ±28; targets 3/4 and 1/4, so b = 0 and 28 a = ln 3.
        let (a, b) = fit(&[0.0, 0.0, 1.0, 1.0], &[false, false, true, true]).unwrap();
        let l = logit(1.0);
        assert_eq!((logit(0.0), l), (-28.0, 28.0));
        assert!(b.abs() < 1e-7);
        assert!((a - 3f64.ln() / l).abs() < 1e-7);
        assert!((apply(a, b, 1.0) - 0.75).abs() < 1e-7);
        assert!((apply(a, b, 0.0) - 0.25).abs() < 1e-7);
    }

    #[test]
    fn the_fit_zeroes_the_gradient() {
        let p = [0.1, 0.3, 0.35, 0.6, 0.8, 0.9, 0.2, 0.7];
        let y = [false, false, true, false, true, true, false, true];
        let (a, b) = fit(&p, &y).unwrap();
        let data: Vec<(f64, f64)> = p
            .iter()
            .zip(y)
            .map(|(&p, l)| (logit(p), if l { 5.0 / 6.0 } else { 1.0 / 6.0 }))
            .collect();
        let (g, _) = gradient_and_hessian(&data, a, b);
        assert!(g[0].abs() < GRADIENT_TOLERANCE && g[1].abs() < GRADIENT_TOLERANCE);
        assert!(a > 0.0);
        assert_eq!(fit(&[], &[]), None);
    }
}
