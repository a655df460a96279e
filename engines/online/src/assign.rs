//! Deterministic A/B assignment of customers to experiment arms.
//!
//! A customer's arm depends only on the experiment key, the customer id and
//! the arm weights: SHA-256 of `"{experiment_key}:{customer}"` (the customer
//! as a hyphenated lowercase uuid), the first 8 bytes read as a big-endian
//! `u64` and divided by 2^64 give a uniform `u` in `[0, 1)`; the customer
//! goes to the first arm whose cumulative weight share exceeds `u`. No
//! randomness, so every process and restart agrees, and different
//! experiment keys split customers independently.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// One arm of an experiment: a name (e.g. the model or variant it serves)
/// and a relative traffic weight (> 0; weights need not sum to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    /// The arm's name, e.g. `"control"` or a model id.
    pub name: String,
    /// The arm's relative share of traffic, > 0.
    pub weight: f64,
}

impl Arm {
    /// An arm named `name` with relative weight `weight`.
    pub fn new(name: impl Into<String>, weight: f64) -> Self {
        Self {
            name: name.into(),
            weight,
        }
    }
}

/// The uniform draw in `[0, 1)` for `customer` in the experiment
/// `experiment_key`: the first 8 bytes of SHA-256 of
/// `"{experiment_key}:{customer}"`, big-endian, divided by 2^64.
pub fn unit_hash(experiment_key: &str, customer: Uuid) -> f64 {
    let digest = Sha256::digest(format!("{experiment_key}:{customer}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 2^64 as f64 is exact; the quotient rounds to at most 1 - 2^-53 except
    // for the top 2^10 values, which round to 1.0 and are clamped below.
    (u64::from_be_bytes(first) as f64 / 18_446_744_073_709_551_616.0).min(1.0 - f64::EPSILON / 2.0)
}

/// The index of the arm `customer` belongs to in `experiment_key`, given
/// the arms' relative `weights` (each > 0).
///
/// The first arm whose cumulative weight share exceeds the customer's
/// [`unit_hash`] wins. Non-positive or non-finite weights count as 0; an
/// empty slice (or all weights 0) yields 0, and rounding at the top end
/// falls back to the last arm with positive weight.
pub fn assign(experiment_key: &str, customer: Uuid, weights: &[f64]) -> usize {
    let clean = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
    let total: f64 = weights.iter().map(|&w| clean(w)).sum();
    if total <= 0.0 {
        return 0;
    }
    let u = unit_hash(experiment_key, customer);
    let mut cumulative = 0.0;
    let mut last_positive = 0;
    for (index, &weight) in weights.iter().enumerate() {
        let weight = clean(weight);
        if weight > 0.0 {
            last_positive = index;
            cumulative += weight;
            if cumulative / total > u {
                return index;
            }
        }
    }
    last_positive
}

/// [`assign`] with the weights of `arms`: the index into `arms` of the arm
/// `customer` belongs to in `experiment_key`.
pub fn assign_arm(experiment_key: &str, customer: Uuid, arms: &[Arm]) -> usize {
    let weights: Vec<f64> = arms.iter().map(|arm| arm.weight).collect();
    assign(experiment_key, customer, &weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(key: &str, weights: &[f64]) -> Vec<f64> {
        let n = 10_000u128;
        let mut counts = vec![0u64; weights.len()];
        for i in 0..n {
            counts[assign(key, Uuid::from_u128(i), weights)] += 1;
        }
        counts.iter().map(|&c| c as f64 / n as f64).collect()
    }

    #[test]
    fn same_inputs_same_arm() {
        let customer = Uuid::from_u128(0x1234_5678_9abc_def0);
        let first = assign("exp", customer, &[1.0, 2.0, 3.0]);
        for _ in 0..10 {
            assert_eq!(assign("exp", customer, &[1.0, 2.0, 3.0]), first);
        }
    }

    #[test]
    fn even_split_is_half_and_half() {
        let s = shares("even", &[1.0, 1.0]);
        assert!((s[0] - 0.5).abs() < 0.02, "{s:?}");
        assert!((s[1] - 0.5).abs() < 0.02, "{s:?}");
    }

    #[test]
    fn three_to_one_split_is_three_quarters() {
        let s = shares("skewed", &[3.0, 1.0]);
        assert!((s[0] - 0.75).abs() < 0.02, "{s:?}");
        assert!((s[1] - 0.25).abs() < 0.02, "{s:?}");
    }

    #[test]
    fn pinned_hash_and_arm() {
        // Key "exp-1", customer 00000000-0000-0000-0000-000000000001: the
        // hashed string is "exp-1:00000000-0000-0000-0000-000000000001".
        let customer = Uuid::from_u128(1);
        let u = unit_hash("exp-1", customer);
        println!("u = {u}");
        assert!((0.0..1.0).contains(&u));
        // First 8 bytes of the digest (sha256sum): eb e3 d7 98 e7 c3 36 9f
        // = 16997666470349715103; / 2^64 = 0.9214453457168589.
        assert_eq!(u, 0.921_445_345_716_858_9);
        // Cumulative shares: [1,1] -> 0.5, 1.0 -> arm 1; [3,1] -> 0.75 < u
        // -> arm 1; [12,1] -> 12/13 = 0.923 > u -> arm 0.
        assert_eq!(assign("exp-1", customer, &[1.0, 1.0]), 1);
        assert_eq!(assign("exp-1", customer, &[3.0, 1.0]), 1);
        assert_eq!(assign("exp-1", customer, &[12.0, 1.0]), 0);
    }

    #[test]
    fn arms_and_keys() {
        let arms = [Arm::new("control", 1.0), Arm::new("treatment", 1.0)];
        let customer = Uuid::from_u128(1);
        // The pinned customer above: u = 0.9214 -> the second arm.
        assert_eq!(assign_arm("exp-1", customer, &arms), 1);
        // Different keys split independently: of the customers in arm 0
        // under key "a", about half are in arm 0 under key "b".
        let in_both = (0..10_000u128)
            .map(Uuid::from_u128)
            .filter(|&c| assign_arm("a", c, &arms) == 0)
            .map(|c| assign_arm("b", c, &arms))
            .collect::<Vec<_>>();
        let share = in_both.iter().filter(|&&arm| arm == 0).count() as f64 / in_both.len() as f64;
        assert!((share - 0.5).abs() < 0.03, "{share}");
    }

    #[test]
    fn degenerate_weights() {
        let c = Uuid::from_u128(7);
        assert_eq!(assign("k", c, &[]), 0);
        assert_eq!(assign("k", c, &[0.0, 0.0]), 0);
        // Only the second arm has positive weight.
        assert_eq!(assign("k", c, &[0.0, 1.0, f64::NAN]), 1);
    }
}
