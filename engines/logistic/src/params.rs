//! Training parameters: parsing from `name=value` pairs, validation, and the
//! published description of the engine.

use serde::{Deserialize, Serialize};

use crate::error::ScoreError;

/// How the two classes are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Both classes count the same.
    None,
    /// Each class weighted inversely to its train frequency.
    Balanced,
    /// The positive class weighs this much relative to the negative one.
    Positive(f64),
}

impl ClassWeight {
    /// `ln(w_pos / w_neg)` for the train class counts. linfa-logistic takes no
    /// sample weights, so the weight is applied as the prior correction of the
    /// intercept that class weighting converges to for a well-specified
    /// logistic model (King and Zeng, 2001); coefficients are unchanged.
    pub fn intercept_shift(&self, positives: usize, negatives: usize) -> f64 {
        match self {
            ClassWeight::None => 0.0,
            ClassWeight::Balanced => (negatives as f64 / positives as f64).ln(),
            ClassWeight::Positive(w) => w.ln(),
        }
    }

    fn parse(value: &str) -> Result<ClassWeight, String> {
        match value {
            "none" => Ok(ClassWeight::None),
            "balanced" => Ok(ClassWeight::Balanced),
            other => match other.parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 => Ok(ClassWeight::Positive(w)),
                _ => Err("expected none, balanced or a positive number".to_owned()),
            },
        }
    }
}

impl std::fmt::Display for ClassWeight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClassWeight::None => f.write_str("none"),
            ClassWeight::Balanced => f.write_str("balanced"),
            ClassWeight::Positive(w) => write!(f, "{w}"),
        }
    }
}

/// Parameters of the logistic engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Inverse L2 strength, as scikit-learn's `C`: the objective is
    /// `C * sum(log loss) + 0.5 * ||w||^2`, i.e. linfa's `alpha = 1 / C`.
    pub c: f64,
    /// Class weighting for imbalanced labels.
    pub class_weight: ClassWeight,
    /// Maximum L-BFGS iterations.
    pub max_iterations: u64,
    /// Gradient norm at which L-BFGS stops.
    pub tolerance: f64,
    /// Categorical levels seen fewer times in train go to the "other" bucket.
    pub min_frequency: usize,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            c: 1.0,
            class_weight: ClassWeight::None,
            max_iterations: 500,
            tolerance: 1e-4,
            min_frequency: 5,
        }
    }
}

impl Params {
    /// The defaults with `name=value` overrides applied.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Params, ScoreError> {
        let mut params = Params::default();
        for (name, value) in pairs {
            params.set(name, value)?;
        }
        Ok(params)
    }

    /// Sets one parameter from its text form, checking its range.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ScoreError> {
        let invalid = |reason: String| ScoreError::InvalidParam {
            name: name.to_owned(),
            reason,
        };
        let value = value.trim();
        match name {
            "c" => self.c = parse_in(value, 1e-6, 1e6).map_err(invalid)?,
            "class_weight" => self.class_weight = ClassWeight::parse(value).map_err(invalid)?,
            "max_iterations" => {
                self.max_iterations = parse_in(value, 1, 100_000).map_err(invalid)?
            }
            "tolerance" => self.tolerance = parse_in(value, 1e-12, 1.0).map_err(invalid)?,
            "min_frequency" => {
                self.min_frequency = parse_in(value, 1, 1_000_000).map_err(invalid)?
            }
            _ => {
                let known: Vec<&str> = describe().params.iter().map(|p| p.name).collect();
                return Err(invalid(format!("unknown; known: {}", known.join(", "))));
            }
        }
        Ok(())
    }

    /// linfa-logistic's `alpha` for this `C`.
    pub fn alpha(&self) -> f64 {
        1.0 / self.c
    }
}

fn parse_in<T>(value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    match value.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        Ok(_) => Err(format!("must be between {min} and {max}")),
        Err(_) => Err(format!("`{value}` is not a number")),
    }
}

/// One published parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamDescription {
    /// Name used in `name=value` overrides.
    pub name: &'static str,
    /// Default value, as text.
    pub default: String,
    /// Accepted values.
    pub range: &'static str,
    /// What it does.
    pub description: &'static str,
}

/// What the engine is, what it needs and which parameters it takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineDescription {
    /// Registered name.
    pub name: &'static str,
    /// `scorer` (probability per customer) as opposed to a recommender.
    pub kind: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The data it trains on.
    pub needs: Vec<&'static str>,
    /// Its parameters with defaults and ranges.
    pub params: Vec<ParamDescription>,
}

/// The logistic engine's description, with the current defaults.
pub fn describe() -> EngineDescription {
    let d = Params::default();
    let param = |name, default: String, range, description| ParamDescription {
        name,
        default,
        range,
        description,
    };
    EngineDescription {
        name: "logistic",
        kind: "scorer",
        summary: "L2 logistic regression (linfa) on standardised numbers and one-hot \
                  categories; probability plus per-feature contributions on the logit scale",
        needs: vec![
            "customer attributes (numeric, categorical, boolean; missing allowed)",
            "a label: a column or a rule `column == value`, with both classes present",
            "optionally behaviour features from interactions (recency, frequency, monetary, \
             support tickets, ratings, tenure)",
        ],
        params: vec![
            param(
                "c",
                d.c.to_string(),
                "1e-6..=1e6",
                "inverse L2 strength as scikit-learn's C (linfa alpha = 1/C)",
            ),
            param(
                "class_weight",
                d.class_weight.to_string(),
                "none | balanced | number > 0",
                "weight of the positive class, applied as an intercept prior correction",
            ),
            param(
                "max_iterations",
                d.max_iterations.to_string(),
                "1..=100000",
                "maximum L-BFGS iterations",
            ),
            param(
                "tolerance",
                d.tolerance.to_string(),
                "1e-12..=1",
                "gradient norm at which L-BFGS stops",
            ),
            param(
                "min_frequency",
                d.min_frequency.to_string(),
                "1..=1000000",
                "categorical levels rarer than this in train share the \"(other)\" column",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_refusals() {
        let p = Params::from_pairs([("c", "0.5"), ("class_weight", "balanced")]).unwrap();
        assert_eq!(p.c, 0.5);
        assert_eq!(p.alpha(), 2.0);
        assert_eq!(p.class_weight, ClassWeight::Balanced);
        assert!(Params::from_pairs([("c", "0")]).is_err());
        assert!(Params::from_pairs([("c", "abc")]).is_err());
        assert!(Params::from_pairs([("class_weight", "-1")]).is_err());
        assert!(Params::from_pairs([("neighbours", "5")]).is_err());
    }

    #[test]
    fn description_lists_every_settable_param() {
        let description = describe();
        assert_eq!(description.name, "logistic");
        let mut params = Params::default();
        for p in &description.params {
            params.set(p.name, &p.default).unwrap();
        }
        assert_eq!(params, Params::default());
    }

    #[test]
    fn balanced_weight_shifts_by_log_class_ratio() {
        assert_eq!(ClassWeight::None.intercept_shift(1, 3), 0.0);
        assert!((ClassWeight::Balanced.intercept_shift(1, 3) - 3f64.ln()).abs() < 1e-12);
        assert!((ClassWeight::Positive(2.0).intercept_shift(1, 3) - 2f64.ln()).abs() < 1e-12);
    }
}
