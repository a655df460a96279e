//! The search space an engine publishes ([`ParamSpec::search`]) and the
//! seeded draws from it.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::{EngineDescription, ParamKind, ParamSpec, Params, Search};

/// Significant digits kept of a drawn real number, so that the value a trial
/// was fitted with reads back exactly as it is reported.
const DIGITS: i32 = 3;

/// Whether `description` publishes at least one searched parameter.
pub fn searchable(description: &EngineDescription) -> bool {
    description.params.iter().any(|p| p.search.is_some())
}

/// The seeded source of every draw of one search.
#[derive(Debug)]
pub(crate) struct Sampler {
    rng: ChaCha8Rng,
}

impl Sampler {
    /// A sampler whose draws depend on `seed` only.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// One value for every searched parameter of `specs`, in their order;
    /// the others keep their defaults (are not set).
    pub(crate) fn params(&mut self, specs: &[ParamSpec]) -> Params {
        let mut params = Params::new();
        for spec in specs {
            if let Some(value) = spec.search.and_then(|search| self.draw(spec, search)) {
                params.set(&spec.name, value);
            }
        }
        params
    }

    /// A value of `spec` from `search`, as text; `None` when the search does
    /// not fit the parameter's kind (a range on a choice, say).
    fn draw(&mut self, spec: &ParamSpec, search: Search) -> Option<String> {
        match (&spec.kind, search) {
            (ParamKind::Choice(choices), Search::Choices) if !choices.is_empty() => {
                let i = self.rng.random_range(0..choices.len());
                Some(choices[i].clone())
            }
            (ParamKind::Bool, Search::Choices) => Some(self.rng.random_bool(0.5).to_string()),
            (ParamKind::Int | ParamKind::Float, Search::Uniform { low, high }) => {
                let (low, high) = bounds(spec, low, high)?;
                let u: f64 = self.rng.random();
                Some(number(spec, low + u * (high - low), low, high))
            }
            (ParamKind::Int | ParamKind::Float, Search::LogUniform { low, high }) => {
                let (low, high) = bounds(spec, low, high)?;
                if low <= 0.0 {
                    return None;
                }
                let u: f64 = self.rng.random();
                let v = (low.ln() + u * (high.ln() - low.ln())).exp();
                Some(number(spec, v, low, high))
            }
            _ => None,
        }
    }
}

/// The search range narrowed to the parameter's allowed range; `None` when
/// nothing is left.
fn bounds(spec: &ParamSpec, low: f64, high: f64) -> Option<(f64, f64)> {
    let low = spec.min.map_or(low, |m| low.max(m));
    let high = spec.max.map_or(high, |m| high.min(m));
    (low.is_finite() && high.is_finite() && low <= high).then_some((low, high))
}

/// `v` as the parameter's text: integers rounded, reals to [`DIGITS`]
/// significant digits; either kept within `low..=high`.
fn number(spec: &ParamSpec, v: f64, low: f64, high: f64) -> String {
    if spec.kind == ParamKind::Int {
        let (low, high) = (low.ceil(), high.floor());
        return format!("{}", v.round().clamp(low, high.max(low)) as i64);
    }
    let text = significant(v);
    match text.parse::<f64>() {
        Ok(r) if (low..=high).contains(&r) => text,
        _ => format!("{}", v.clamp(low, high)),
    }
}

/// `v` written with [`DIGITS`] significant digits, trailing zeros dropped.
fn significant(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (DIGITS - 1 - magnitude).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::float("lambda", 500.0, 1e-3, 1e9, "l").searched(Search::LogUniform {
                low: 1.0,
                high: 5000.0,
            }),
            ParamSpec::int("neighbours", 50, 1, 10_000, "n").searched(Search::LogUniform {
                low: 10.0,
                high: 1000.0,
            }),
            ParamSpec::float("beta", 0.6, 0.0, 2.0, "b").searched(Search::Uniform {
                low: 0.0,
                high: 1.0,
            }),
            ParamSpec::choice("mode", "push", &["push", "pull"], "m").searched(Search::Choices),
            ParamSpec::bool("normalise", true, "n").searched(Search::Choices),
            ParamSpec::int("seed", 42, 0, 100, "not searched"),
        ]
    }

    #[test]
    fn draws_stay_inside_their_ranges_and_resolve() {
        let specs = specs();
        let mut sampler = Sampler::new(7);
        let mut modes = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let params = sampler.params(&specs);
            let values = params.resolve(&specs).unwrap();
            let lambda = values.float("lambda").unwrap();
            assert!((1.0..=5000.0).contains(&lambda), "{lambda}");
            let n = values.int("neighbours").unwrap();
            assert!((10..=1000).contains(&n), "{n}");
            let beta = values.float("beta").unwrap();
            assert!((0.0..=1.0).contains(&beta), "{beta}");
            modes.insert(values.text("mode").unwrap().to_owned());
            assert!(params.iter().all(|(name, _)| name != "seed"));
        }
        assert_eq!(modes.len(), 2);
    }

    /// Log-uniform draws spread evenly over the decades: about a third of
    /// lambda's in [1, 5000] fall below 17.1 = 5000^(1/3).
    #[test]
    fn log_uniform_is_uniform_in_the_exponent() {
        let specs = specs();
        let mut sampler = Sampler::new(1);
        let below = (0..3000)
            .filter(|_| {
                let p = sampler.params(&specs).resolve(&specs).unwrap();
                p.float("lambda").unwrap() < 5000f64.cbrt()
            })
            .count();
        assert!((850..1150).contains(&below), "{below}");
    }

    #[test]
    fn same_seed_same_draws_other_seed_others() {
        let specs = specs();
        let draw = |seed| {
            let mut s = Sampler::new(seed);
            (0..5).map(|_| s.params(&specs)).collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn reals_keep_three_significant_digits() {
        assert_eq!(significant(123.456), "123");
        assert_eq!(significant(0.0123456), "0.0123");
        assert_eq!(significant(4.5), "4.5");
        assert_eq!(significant(2500.0), "2500");
        let spec = ParamSpec::float("x", 1.0, 0.0, 10.0, "x");
        // Rounding must not leave the range: 0.99951 rounds to 1.
        assert_eq!(number(&spec, 0.99951, 0.9995, 1.0), "1");
        // When the rounded text leaves the range, the exact draw is kept.
        assert_eq!(number(&spec, 0.99949, 0.9994, 0.9995), "0.99949");
    }
}
