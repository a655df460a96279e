//! Score tiers for people: the quartiles of the training scores split every
//! new score into very high, high, medium or low.

use serde::{Deserialize, Serialize};

/// A score's tier relative to the training scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// In the top quarter of training scores (at or above the 75th percentile).
    VeryHigh,
    /// Between the median and the 75th percentile.
    High,
    /// Between the 25th percentile and the median.
    Medium,
    /// Below the 25th percentile.
    Low,
}

impl Tier {
    /// The tier's name as serialised (`very_high`, `high`, `medium`, `low`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::VeryHigh => "very_high",
            Tier::High => "high",
            Tier::Medium => "medium",
            Tier::Low => "low",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The quartiles of the training scores that separate the tiers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TierThresholds {
    /// 25th percentile.
    pub q25: f64,
    /// Median.
    pub q50: f64,
    /// 75th percentile.
    pub q75: f64,
}

impl TierThresholds {
    /// Quartiles of the finite `scores` (linear interpolation, as numpy's
    /// default); `None` when no score is finite.
    pub fn from_scores(scores: &[f64]) -> Option<TierThresholds> {
        let sorted = sorted_finite(scores);
        Some(TierThresholds {
            q25: quantile(&sorted, 0.25)?,
            q50: quantile(&sorted, 0.5)?,
            q75: quantile(&sorted, 0.75)?,
        })
    }

    /// The tier of score `p`: at or above a threshold reaches its tier.
    pub fn tier(&self, p: f64) -> Tier {
        if p >= self.q75 {
            Tier::VeryHigh
        } else if p >= self.q50 {
            Tier::High
        } else if p >= self.q25 {
            Tier::Medium
        } else {
            Tier::Low
        }
    }
}

/// The finite values of `values`, ascending.
pub fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted
}

/// The `q` quantile (`q` in `[0, 1]`, clamped) of ascending `sorted` values by
/// linear interpolation between the closest ranks, as numpy's default:
/// position `(n - 1) q`. `None` when `sorted` is empty.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = q.clamp(0.0, 1.0) * last as f64;
    let below = (position.floor() as usize).min(last);
    let above = (below + 1).min(last);
    let fraction = position - below as f64;
    Some(sorted[below] + fraction * (sorted[above] - sorted[below]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 3, 4, 10], [.25, .5, .75]) = [2, 3, 4]
        let t = TierThresholds::from_scores(&[10.0, 1.0, 3.0, 2.0, 4.0]).unwrap();
        assert_eq!((t.q25, t.q50, t.q75), (2.0, 3.0, 4.0));
        // numpy.quantile([0.1, 0.2, 0.4, 0.8], [.25, .5, .75]) = [0.175, 0.3, 0.5]:
        // positions 0.75, 1.5, 2.25.
        let t = TierThresholds::from_scores(&[0.8, 0.1, f64::NAN, 0.4, 0.2]).unwrap();
        assert!(close(t.q25, 0.175) && close(t.q50, 0.3) && close(t.q75, 0.5));
        assert_eq!(quantile(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile(&[1.0, 2.0], 1.0), Some(2.0));
        assert_eq!(TierThresholds::from_scores(&[f64::NAN]), None);
    }

    #[test]
    fn tiers_reach_at_the_threshold() {
        let t = TierThresholds {
            q25: 0.2,
            q50: 0.4,
            q75: 0.6,
        };
        assert_eq!(t.tier(0.6), Tier::VeryHigh);
        assert_eq!(t.tier(0.59), Tier::High);
        assert_eq!(t.tier(0.4), Tier::High);
        assert_eq!(t.tier(0.3), Tier::Medium);
        assert_eq!(t.tier(0.2), Tier::Medium);
        assert_eq!(t.tier(0.1), Tier::Low);
        assert_eq!(Tier::VeryHigh.to_string(), "very_high");
    }

    #[test]
    fn tiers_serialise_snake_case() {
        assert_eq!(
            serde_json::to_string(&Tier::VeryHigh).unwrap(),
            "\"very_high\""
        );
        let back: Tier = serde_json::from_str("\"medium\"").unwrap();
        assert_eq!(back, Tier::Medium);
    }
}
