//! Results of an A/B experiment, per arm.
//!
//! [`experiment_results`] counts, for each arm, the distinct customers
//! exposed and those who converted (an attributed action of the conversion
//! kind on one of the arm's exposures), with the conversion rate's Wilson
//! 95 % interval, a pooled two-proportion z-test against the first arm (the
//! control) and a sample-ratio-mismatch check of the customers per arm
//! against the configured weights.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::assign::Arm;
use crate::attribution::{Action, Attributed, Exposure};
use crate::stats::{ProportionTest, SampleRatio, Z95, sample_ratio, two_proportion_z, wilson};

/// One arm's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmResult {
    /// The arm's name.
    pub name: String,
    /// The arm's configured relative weight.
    pub weight: f64,
    /// Distinct known customers exposed in the arm.
    pub customers: u64,
    /// Exposures served in the arm.
    pub exposures: u64,
    /// Customers with at least one attributed action of the conversion
    /// kind on one of the arm's exposures.
    pub converted: u64,
    /// `converted / customers` (0 when no customers).
    pub rate: f64,
    /// The Wilson 95 % interval of `rate`.
    pub interval: (f64, f64),
    /// The z-test of this arm's rate against the first arm's; `None` for
    /// the first arm (the control) and when the test is undefined.
    pub vs_first: Option<ProportionTest>,
}

/// The results of an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResults {
    /// Per arm, in the configured order.
    pub arms: Vec<ArmResult>,
    /// The sample-ratio check of customers per arm against the weights;
    /// `None` with fewer than two arms or no customers.
    pub sample_ratio: Option<SampleRatio>,
    /// The action kind that counts as a conversion.
    pub conversion_kind: String,
}

/// The results of the experiment with `arms`, whose exposures are
/// `exposures_by_arm[i]` (indices into `exposures`; a missing entry means
/// none), given `attributed` from [`crate::attribute`] over `exposures`
/// and `actions`. Out-of-range indices are skipped.
pub fn experiment_results(
    arms: &[Arm],
    exposures_by_arm: &[Vec<usize>],
    exposures: &[Exposure],
    actions: &[Action],
    attributed: &[Attributed],
    conversion_kind: &str,
) -> ExperimentResults {
    // Each exposure's converting customers.
    let mut conversions: HashMap<usize, HashSet<Uuid>> = HashMap::new();
    for link in attributed {
        if let Some(action) = actions.get(link.action)
            && action.kind == conversion_kind
            && link.exposure < exposures.len()
        {
            conversions
                .entry(link.exposure)
                .or_default()
                .insert(action.customer);
        }
    }
    let counts: Vec<(u64, u64, u64)> = (0..arms.len())
        .map(|i| {
            let indices = exposures_by_arm.get(i).map_or(&[][..], Vec::as_slice);
            arm_counts(indices, exposures, &conversions)
        })
        .collect();
    let control = counts.first().copied();
    let results = arms
        .iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (arm, &(exposed, customers, converted)))| ArmResult {
            name: arm.name.clone(),
            weight: arm.weight,
            customers,
            exposures: exposed,
            converted,
            rate: if customers == 0 {
                0.0
            } else {
                converted as f64 / customers as f64
            },
            interval: wilson(converted, customers, Z95),
            vs_first: control
                .filter(|_| i > 0)
                .and_then(|(_, n1, s1)| two_proportion_z(s1, n1, converted, customers)),
        })
        .collect();
    let observed: Vec<u64> = counts.iter().map(|&(_, customers, _)| customers).collect();
    let weights: Vec<f64> = arms.iter().map(|arm| arm.weight).collect();
    ExperimentResults {
        arms: results,
        sample_ratio: sample_ratio(&observed, &weights),
        conversion_kind: conversion_kind.to_owned(),
    }
}

/// (exposures, distinct customers, converted customers) of one arm.
fn arm_counts(
    indices: &[usize],
    exposures: &[Exposure],
    conversions: &HashMap<usize, HashSet<Uuid>>,
) -> (u64, u64, u64) {
    let mut exposed = 0;
    let mut customers = HashSet::new();
    let mut converting = HashSet::new();
    for &index in indices {
        let Some(exposure) = exposures.get(index) else {
            continue;
        };
        exposed += 1;
        customers.extend(exposure.customer);
        if let Some(converters) = conversions.get(&index) {
            converting.extend(converters.iter().copied());
        }
    }
    let converted = converting.intersection(&customers).count() as u64;
    (exposed, customers.len() as u64, converted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute;
    use chrono::{DateTime, Duration, Utc};

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_704_067_200 + hours * 3_600, 0).unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// `sizes[i]` customers in arm i, one exposure each of item 1 at hour
    /// 0 and a second one at hour 1; the first `converters[i]` of them buy
    /// item 1 at hour 2 (last touch: their second exposure), and everyone
    /// clicks it.
    fn scripted(sizes: &[u128], converters: &[u128], weights: &[f64]) -> ExperimentResults {
        let mut exposures = Vec::new();
        let mut actions = Vec::new();
        let mut by_arm = vec![Vec::new(); sizes.len()];
        let mut next = 0u128;
        for (arm, (&size, &buying)) in sizes.iter().zip(converters).enumerate() {
            for c in 0..size {
                next += 1;
                let customer = id(next);
                for hour in 0..2 {
                    by_arm[arm].push(exposures.len());
                    exposures.push(Exposure {
                        id: id(1_000_000 + exposures.len() as u128),
                        customer: Some(customer),
                        items: vec![id(1)],
                        shown: None,
                        at: at(hour),
                    });
                }
                let act = |kind: &str| Action {
                    customer,
                    item: id(1),
                    kind: kind.into(),
                    value: None,
                    at: at(2),
                    exposure: None,
                };
                actions.push(act("click"));
                if c < buying {
                    actions.push(act("purchase"));
                }
            }
        }
        let attributed = attribute(&exposures, &actions, Duration::hours(24));
        let arms: Vec<Arm> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Arm::new(format!("arm-{i}"), w))
            .collect();
        experiment_results(
            &arms,
            &by_arm,
            &exposures,
            &actions,
            &attributed,
            "purchase",
        )
    }

    #[test]
    fn thirty_against_forty_five() {
        let results = scripted(&[100, 100], &[30, 45], &[1.0, 1.0]);
        assert_eq!(results.conversion_kind, "purchase");
        let [control, treatment] = &results.arms[..] else {
            panic!("two arms");
        };
        assert_eq!(control.name, "arm-0");
        assert_eq!(
            (control.customers, control.exposures, control.converted),
            (100, 200, 30)
        );
        assert_eq!((treatment.customers, treatment.converted), (100, 45));
        assert!((control.rate - 0.30).abs() < 1e-12);
        assert!((treatment.rate - 0.45).abs() < 1e-12);
        // Wilson 95 % of 30/100: centre (0.3 + 0.019207) / 1.038415 =
        // 0.307399; half 1.887444 * sqrt(0.0021 + 0.0000960) = 0.088450
        // -> (0.2189, 0.3958).
        assert!((control.interval.0 - 0.2189).abs() < 1e-4);
        assert!((control.interval.1 - 0.3958).abs() < 1e-4);
        assert_eq!(control.vs_first, None);
        // Pooled p = 0.375, SE = sqrt(0.375 * 0.625 * 2/100) = 0.068465,
        // z = 0.15 / 0.068465 = 2.1909, p = erfc(2.1909 / √2) = 0.02846.
        let test = treatment.vs_first.unwrap();
        assert!((test.difference - 0.15).abs() < 1e-12);
        assert!((test.z - 2.1909).abs() < 1e-4);
        assert!((test.p_value - 0.02846).abs() < 1e-5);
        // 100/100 against [1, 1]: chi² 0, balanced.
        let srm = results.sample_ratio.unwrap();
        assert!(srm.chi_square.abs() < 1e-12);
        assert!(!srm.mismatch);
    }

    #[test]
    fn unbalanced_split_is_flagged() {
        // 150/50 against [1, 1]: chi² = 50, p = 1.5e-12 < 0.001.
        let results = scripted(&[150, 50], &[15, 5], &[1.0, 1.0]);
        let srm = results.sample_ratio.unwrap();
        assert!((srm.chi_square - 50.0).abs() < 1e-9);
        assert!(srm.mismatch);
        // Equal rates (0.1 and 0.1): z 0, p 1.
        let test = results.arms[1].vs_first.unwrap();
        assert!(test.z.abs() < 1e-12);
        assert!((test.p_value - 1.0).abs() < 1e-12);
        // The same split against [3, 1] is as configured.
        let weighted = scripted(&[150, 50], &[15, 5], &[3.0, 1.0]);
        assert!(!weighted.sample_ratio.unwrap().mismatch);
    }

    #[test]
    fn conversions_on_another_arms_exposures_do_not_count() {
        // One customer exposed in arm 0 only; the purchase names an
        // exposure listed under arm 1 (a different customer's).
        let exposures: Vec<Exposure> = (0..2)
            .map(|i| Exposure {
                id: id(100 + i),
                customer: Some(id(i + 1)),
                items: vec![id(1)],
                shown: None,
                at: at(0),
            })
            .collect();
        let actions = [Action {
            customer: id(1),
            item: id(1),
            kind: "purchase".into(),
            value: Some(9.0),
            at: at(1),
            exposure: Some(id(101)),
        }];
        let attributed = attribute(&exposures, &actions, Duration::hours(24));
        let arms = [Arm::new("a", 1.0), Arm::new("b", 1.0), Arm::new("c", 1.0)];
        // Arm c has no exposure list at all, and a stray index 7 is skipped.
        let by_arm = [vec![0, 7], vec![1]];
        let results = experiment_results(
            &arms,
            &by_arm,
            &exposures,
            &actions,
            &attributed,
            "purchase",
        );
        let converted: Vec<u64> = results.arms.iter().map(|a| a.converted).collect();
        assert_eq!(converted, [0, 0, 0]);
        let customers: Vec<u64> = results.arms.iter().map(|a| a.customers).collect();
        assert_eq!(customers, [1, 1, 0]);
        assert_eq!(results.arms[2].interval, (0.0, 1.0));
        assert_eq!(results.arms[2].vs_first, None);
    }
}
