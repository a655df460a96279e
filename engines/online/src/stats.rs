//! Statistics for online experiments, all at a chosen confidence.
//!
//! - [`wilson`]: the Wilson score interval of a proportion.
//! - [`two_proportion_z`]: the pooled two-proportion z-test.
//! - [`sample_ratio`]: Pearson's chi-square test of observed arm sizes
//!   against the configured weights (sample ratio mismatch, SRM).
//! - [`chi_square_sf`]: the chi-square survival function, via the
//!   regularized upper incomplete gamma function (Numerical Recipes' `gammq`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use serde::{Deserialize, Serialize};

/// The two-sided 95 % normal quantile, Φ⁻¹(0.975).
pub const Z95: f64 = 1.959_963_984_540_054;

/// The p-value below which [`sample_ratio`] flags a mismatch. 0.001 is the
/// usual SRM threshold: strict, because the check runs on every experiment
/// and a false alarm discards good data, while a real SRM (a bug in
/// assignment or logging) tends to give tiny p-values with real traffic.
pub const SRM_THRESHOLD: f64 = 0.001;

/// The Wilson score interval `(low, high)` of `successes` out of `trials`
/// at normal quantile `z` (e.g. [`Z95`]); `(0.0, 1.0)` when `trials == 0`.
/// Both ends lie in `[0, 1]`.
pub fn wilson(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The outcome of a two-proportion z-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProportionTest {
    /// `p2 - p1`: the second group's rate minus the first's.
    pub difference: f64,
    /// The z statistic, `difference` over the pooled standard error.
    pub z: f64,
    /// The two-sided p-value, `erfc(|z| / √2)`.
    pub p_value: f64,
}

/// The pooled two-proportion z-test of `s2/n2` against `s1/n1`.
///
/// The standard error is `sqrt(p (1 - p) (1/n1 + 1/n2))` with the pooled
/// rate `p = (s1 + s2) / (n1 + n2)`. `None` when a group is empty or the
/// pooled standard error is 0 (no successes or no failures at all).
pub fn two_proportion_z(s1: u64, n1: u64, s2: u64, n2: u64) -> Option<ProportionTest> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (s1, s2) = (s1.min(n1) as f64, s2.min(n2) as f64);
    let (n1, n2) = (n1 as f64, n2 as f64);
    let pooled = (s1 + s2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return None;
    }
    let difference = s2 / n2 - s1 / n1;
    let z = difference / se;
    let p_value = libm::erfc(z.abs() / std::f64::consts::SQRT_2);
    Some(ProportionTest {
        difference,
        z,
        p_value,
    })
}

/// The outcome of a sample-ratio check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleRatio {
    /// Pearson's chi-square statistic of observed against expected counts.
    pub chi_square: f64,
    /// Degrees of freedom: arms - 1.
    pub dof: usize,
    /// `P(χ²(dof) >= chi_square)`.
    pub p_value: f64,
    /// `p_value < SRM_THRESHOLD` (0.001): the split is not what was
    /// configured, so the experiment's results are suspect.
    pub mismatch: bool,
}

/// Pearson's chi-square test of `observed` arm counts against the shares
/// of `weights` (sample ratio mismatch).
///
/// `None` when there are fewer than 2 arms, the slices differ in length,
/// nothing was observed, or a weight is not finite and positive.
pub fn sample_ratio(observed: &[u64], weights: &[f64]) -> Option<SampleRatio> {
    if observed.len() < 2 || observed.len() != weights.len() {
        return None;
    }
    if weights.iter().any(|&w| !(w.is_finite() && w > 0.0)) {
        return None;
    }
    let total: u64 = observed.iter().sum();
    if total == 0 {
        return None;
    }
    let weight_sum: f64 = weights.iter().sum();
    let chi_square: f64 = observed
        .iter()
        .zip(weights)
        .map(|(&o, &w)| {
            let expected = total as f64 * w / weight_sum;
            (o as f64 - expected).powi(2) / expected
        })
        .sum();
    let dof = observed.len() - 1;
    let p_value = chi_square_sf(chi_square, dof);
    Some(SampleRatio {
        chi_square,
        dof,
        p_value,
        mismatch: p_value < SRM_THRESHOLD,
    })
}

/// The chi-square survival function `P(χ²(dof) >= x)`, i.e. the
/// regularized upper incomplete gamma `Q(dof / 2, x / 2)`. 1 for `x <= 0`
/// or `dof == 0`.
pub fn chi_square_sf(x: f64, dof: usize) -> f64 {
    if dof == 0 || x <= 0.0 || x.is_nan() {
        return 1.0;
    }
    gamma_q(dof as f64 / 2.0, x / 2.0)
}

const MAX_ITERATIONS: usize = 500;
const TOLERANCE: f64 = 1e-15;

/// The regularized upper incomplete gamma `Q(a, x)` for `a > 0`, `x > 0`:
/// the series for `x < a + 1`, the continued fraction otherwise
/// (Numerical Recipes, `gammq`).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x < a + 1.0 {
        1.0 - gamma_p_series(a, x)
    } else {
        gamma_q_fraction(a, x)
    }
}

/// `ln(x^a e^-x / Γ(a))`, the common prefactor of both expansions.
fn log_prefactor(a: f64, x: f64) -> f64 {
    a * x.ln() - x - libm::lgamma(a)
}

/// `P(a, x)` by its series `e^-x x^a / Γ(a) Σ x^n / (a (a+1) … (a+n))`.
fn gamma_p_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0 / a;
    let mut sum = term;
    let mut denominator = a;
    for _ in 0..MAX_ITERATIONS {
        denominator += 1.0;
        term *= x / denominator;
        sum += term;
        if term.abs() < sum.abs() * TOLERANCE {
            break;
        }
    }
    (sum.ln() + log_prefactor(a, x)).exp()
}

/// `Q(a, x)` by its continued fraction, evaluated with the modified Lentz
/// method.
fn gamma_q_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=MAX_ITERATIONS {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < TOLERANCE {
            break;
        }
    }
    (log_prefactor(a, x).exp() * h).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() < tolerance,
            "{actual} vs {expected}"
        );
    }

    #[test]
    fn wilson_half_of_a_hundred() {
        // p = 0.5, n = 100, z = 1.96: z²/n = 0.038416; centre =
        // (0.5 + 0.019208) / 1.038416 = 0.5; half = 1.96 / 1.038416 *
        // sqrt(0.0025 + 0.00009604) = 1.887489 * 0.050951 = 0.096170.
        let (low, high) = wilson(50, 100, 1.96);
        close(low, 0.4038, 5e-5);
        close(high, 0.5962, 5e-5);
    }

    #[test]
    fn wilson_edges() {
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
        // 0 of 10: low = 0; high = z²/n / (1 + z²/n) = 0.38415/1.38415
        // = 0.27753 (centre = half when p = 0).
        let (low, high) = wilson(0, 10, Z95);
        close(low, 0.0, 1e-12);
        close(high, 0.277_53, 5e-5);
        let (low, high) = wilson(10, 10, Z95);
        close(low, 1.0 - 0.277_53, 5e-5);
        close(high, 1.0, 1e-12);
    }

    #[test]
    fn two_proportions_thirty_against_forty_five() {
        // Pooled p = 75/200 = 0.375; SE = sqrt(0.375 * 0.625 * 0.02) =
        // 0.068465; z = 0.15 / 0.068465 = 2.19089; p = erfc(2.19089/√2)
        // = 0.028459.
        let t = two_proportion_z(30, 100, 45, 100).unwrap();
        close(t.difference, 0.15, 1e-12);
        close(t.z, 2.190_89, 5e-5);
        close(t.p_value, 0.028_46, 5e-5);
        // Swapping the groups flips the sign, not the p-value.
        let back = two_proportion_z(45, 100, 30, 100).unwrap();
        close(back.z, -t.z, 1e-12);
        close(back.p_value, t.p_value, 1e-12);
    }

    #[test]
    fn two_proportions_degenerate() {
        assert_eq!(two_proportion_z(0, 0, 1, 10), None);
        assert_eq!(two_proportion_z(1, 10, 0, 0), None);
        // Nobody converted anywhere: pooled SE 0.
        assert_eq!(two_proportion_z(0, 10, 0, 10), None);
        assert_eq!(two_proportion_z(10, 10, 5, 5), None);
    }

    #[test]
    fn chi_square_tail_known_values() {
        // Table values: the 95 % critical points for 1 and 2 dof.
        close(chi_square_sf(3.841_458_820_694_124, 1), 0.05, 1e-9);
        close(chi_square_sf(5.991_464_547_107_979, 2), 0.05, 1e-9);
        // scipy.stats.chi2.sf(10, 3) = 0.018566135463043
        close(chi_square_sf(10.0, 3), 0.018_566_135_463, 1e-9);
        // 2 dof is exponential: sf(x) = e^(-x/2); e^-0.5 = 0.60653066.
        close(chi_square_sf(1.0, 2), 0.606_530_659_712_633, 1e-12);
        // 1 dof: sf(x) = erfc(sqrt(x/2)); sf(0.5) = erfc(0.5) = 0.47950012.
        close(chi_square_sf(0.5, 1), 0.479_500_122_186_953, 1e-12);
        // Large dof, both branches: sf(dof) is a bit below 0.5 (the
        // median is about dof - 2/3), sf(30, 30) = 0.46565.
        close(chi_square_sf(30.0, 30), 0.465_654, 1e-5);
        assert_eq!(chi_square_sf(0.0, 3), 1.0);
        assert_eq!(chi_square_sf(1.0, 0), 1.0);
    }

    #[test]
    fn sample_ratio_balanced_and_skewed() {
        // 100/100 against [1,1]: chi² = 0, p = 1.
        let balanced = sample_ratio(&[100, 100], &[1.0, 1.0]).unwrap();
        close(balanced.chi_square, 0.0, 1e-12);
        assert_eq!(balanced.dof, 1);
        close(balanced.p_value, 1.0, 1e-12);
        assert!(!balanced.mismatch);
        // 150/50 against [1,1]: expected 100 each, chi² = 2 * 2500/100 =
        // 50; p = erfc(5) = 1.5375e-12.
        let skewed = sample_ratio(&[150, 50], &[1.0, 1.0]).unwrap();
        close(skewed.chi_square, 50.0, 1e-12);
        close(skewed.p_value, 1.537_459_794_428_035e-12, 1e-15);
        assert!(skewed.mismatch);
        // 150/50 against [3,1] is exactly as configured.
        let weighted = sample_ratio(&[150, 50], &[3.0, 1.0]).unwrap();
        close(weighted.chi_square, 0.0, 1e-12);
        assert!(!weighted.mismatch);
        // Three arms 40/30/30 against [1,1,1]: expected 33.33; chi² =
        // (44.44 + 11.11 + 11.11) / 33.33 = 2; dof 2; p = e^-1 = 0.367879.
        let three = sample_ratio(&[40, 30, 30], &[1.0, 1.0, 1.0]).unwrap();
        close(three.chi_square, 2.0, 1e-12);
        assert_eq!(three.dof, 2);
        close(three.p_value, 0.367_879_441_171_442, 1e-12);
    }

    #[test]
    fn sample_ratio_undefined() {
        assert_eq!(sample_ratio(&[10], &[1.0]), None);
        assert_eq!(sample_ratio(&[10, 10], &[1.0]), None);
        assert_eq!(sample_ratio(&[0, 0], &[1.0, 1.0]), None);
        assert_eq!(sample_ratio(&[5, 5], &[1.0, 0.0]), None);
    }
}
