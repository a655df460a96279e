//! Exact non-negative fractions for thresholds, so that `n(S) / n(A) >= 0.8`
//! and `ceil(0.25 * N)` are decided in integers, never in binary floating point
//! (0.8 as an `f64` is slightly above 4/5, which would drop a rule of
//! confidence exactly 240/300).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::BasketError;

/// Denominators above this are refused: products with counts stay in `u128`.
const MAX_DENOMINATOR: u64 = 1_000_000_000_000_000_000;

/// A non-negative fraction `num / den` in lowest terms (`den > 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fraction {
    num: u64,
    den: u64,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Fraction {
    /// `num / den`, reduced; an error when `den` is 0 or above 10^18.
    pub fn new(num: u64, den: u64) -> Result<Self, BasketError> {
        if den == 0 || den > MAX_DENOMINATOR {
            return Err(BasketError::BadFraction(format!(
                "{num}/{den}: the denominator must be between 1 and 10^18"
            )));
        }
        let g = gcd(num, den).max(1);
        Ok(Self {
            num: num / g,
            den: den / g,
        })
    }

    /// The decimal an `f64` prints as (its shortest round-trip form), so that
    /// `0.8_f64` means exactly 4/5.
    pub fn from_f64(value: f64) -> Result<Self, BasketError> {
        if !value.is_finite() || value < 0.0 {
            return Err(BasketError::BadFraction(format!(
                "{value} is not a finite non-negative number"
            )));
        }
        value.to_string().parse()
    }

    /// The numerator (lowest terms).
    pub fn numerator(self) -> u64 {
        self.num
    }

    /// The denominator (lowest terms, at least 1).
    pub fn denominator(self) -> u64 {
        self.den
    }

    /// The nearest `f64`, for display.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// `ceil(self * n)`, computed exactly (e.g. 0.25 * 943 = 235.75 gives 236).
    pub fn ceil_times(self, n: u64) -> u128 {
        (u128::from(self.num) * u128::from(n)).div_ceil(u128::from(self.den))
    }

    /// Whether `part / whole >= self`, exactly; `whole == 0` is never enough.
    pub fn reached_by(self, part: u64, whole: u64) -> bool {
        whole > 0
            && u128::from(part) * u128::from(self.den) >= u128::from(self.num) * u128::from(whole)
    }
}

impl FromStr for Fraction {
    type Err = BasketError;

    /// Parses a plain decimal (`0.25`, `.5`, `3`, `+0.1`, `1e-3`, `2.5E-2`) exactly.
    fn from_str(text: &str) -> Result<Self, BasketError> {
        let bad = |why: &str| BasketError::BadFraction(format!("`{text}`: {why}"));
        let t = text.trim();
        let t = t.strip_prefix('+').unwrap_or(t);
        let (mantissa, exponent) = match t.find(['e', 'E']) {
            Some(at) => {
                let exp = t[at + 1..]
                    .parse::<i32>()
                    .map_err(|_| bad("the exponent is not a whole number"))?;
                (&t[..at], exp)
            }
            None => (t, 0),
        };
        let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = || whole.bytes().chain(frac.bytes());
        if (whole.is_empty() && frac.is_empty()) || !digits().all(|b| b.is_ascii_digit()) {
            return Err(bad("not a non-negative decimal number"));
        }
        let mut num: u128 = 0;
        for b in digits() {
            num = num * 10 + u128::from(b - b'0');
            if num > u128::from(u64::MAX) * u128::from(MAX_DENOMINATOR) {
                return Err(bad("too many digits"));
            }
        }
        // value = num * 10^(exponent - frac digits)
        let scale = i64::from(exponent) - frac.len() as i64;
        let mut den: u128 = 1;
        if scale >= 0 {
            for _ in 0..scale {
                num = num.checked_mul(10).ok_or_else(|| bad("too large"))?;
            }
        } else if -scale > 40 {
            return Err(bad("too many decimal places"));
        } else {
            for _ in 0..-scale {
                den *= 10;
            }
        }
        let g = gcd128(num, den).max(1);
        let (num, den) = (num / g, den / g);
        match (u64::try_from(num), u64::try_from(den)) {
            (Ok(n), Ok(d)) if d <= MAX_DENOMINATOR => Self::new(n, d),
            _ => Err(bad("needs more than 18 decimal places or is too large")),
        }
    }
}

fn gcd128(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frac(text: &str) -> Fraction {
        text.parse().unwrap()
    }

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(frac("0.8"), Fraction::new(4, 5).unwrap());
        assert_eq!(frac("0.25"), Fraction::new(1, 4).unwrap());
        assert_eq!(frac(".5"), Fraction::new(1, 2).unwrap());
        assert_eq!(frac("+3"), Fraction::new(3, 1).unwrap());
        assert_eq!(frac("1e-3"), Fraction::new(1, 1000).unwrap());
        assert_eq!(frac("2.5E-2"), Fraction::new(1, 40).unwrap());
        assert_eq!(frac("0.30"), Fraction::new(3, 10).unwrap());
        assert_eq!(frac("1.5e1"), Fraction::new(15, 1).unwrap());
        assert_eq!(
            Fraction::from_f64(0.8).unwrap(),
            Fraction::new(4, 5).unwrap()
        );
        assert_eq!(
            Fraction::from_f64(0.005).unwrap(),
            Fraction::new(1, 200).unwrap()
        );
        for bad in ["", ".", "-0.1", "x", "1e", "0.1.2", "NaN", "1e-50"] {
            assert!(bad.parse::<Fraction>().is_err(), "{bad}");
        }
        assert!(Fraction::from_f64(f64::NAN).is_err());
        assert!(Fraction::new(1, 0).is_err());
    }

    #[test]
    fn thresholds_are_exact() {
        assert_eq!(frac("0.25").ceil_times(943), 236);
        assert_eq!(frac("0.30").ceil_times(943), 283);
        assert_eq!(frac("0.5").ceil_times(10), 5);
        assert_eq!(frac("0.005").ceil_times(100_000), 500);
        // 240 / 300 is exactly 0.8: kept; one fewer is not.
        assert!(frac("0.8").reached_by(240, 300));
        assert!(!frac("0.8").reached_by(239, 300));
        assert!(!frac("0").reached_by(0, 0));
        assert_eq!(frac("0.8").to_string(), "4/5");
    }
}
