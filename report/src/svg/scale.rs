//! Linear scales from data to pixels, and "nice" tick values (steps of 1, 2
//! or 5 times a power of ten) with their labels.

/// A linear map from the data interval `domain` to the pixel interval `range`
/// (`range.0` may exceed `range.1`, as on a y axis that grows upwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Data values at the two ends.
    pub domain: (f64, f64),
    /// Pixel positions of the two ends.
    pub range: (f64, f64),
}

impl Scale {
    /// The pixel position of `value`.
    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        let span = d1 - d0;
        if span == 0.0 {
            return (r0 + r1) / 2.0;
        }
        r0 + (value - d0) / span * (r1 - r0)
    }
}

/// Ticks spanning a domain: values, and the decimals their labels need.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// Tick values, increasing.
    pub values: Vec<f64>,
    /// Decimals of the labels (those of the step).
    pub decimals: usize,
}

impl Ticks {
    /// About `target` ticks over `[lo, hi]`, widened outwards to whole steps;
    /// a degenerate or non-finite interval is first widened to a unit.
    pub fn nice(lo: f64, hi: f64, target: usize) -> Self {
        let (lo, hi) = widen(lo, hi);
        let step = nice_step((hi - lo) / target.max(1) as f64);
        // The tolerance keeps 0.3 / 0.1 = 2.9999999999999996 on the tick 3.
        let first = (lo / step + 1e-9).floor() as i64;
        let last = (hi / step - 1e-9).ceil() as i64;
        let values = (first..=last).map(|i| i as f64 * step).collect();
        let decimals = (-step.log10().floor()).max(0.0) as usize;
        Self { values, decimals }
    }

    /// The interval from the first to the last tick.
    pub fn domain(&self) -> (f64, f64) {
        match (self.values.first(), self.values.last()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => (0.0, 1.0),
        }
    }

    /// The label of `value` with the ticks' decimals.
    pub fn label(&self, value: f64) -> String {
        let text = format!("{value:.*}", self.decimals);
        // "-0" and "-0.0" read as a mistake on an axis.
        if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            text.trim_start_matches('-').to_owned()
        } else {
            text
        }
    }
}

/// A finite interval of positive width containing `lo` and `hi`.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo.min(hi), lo.max(hi)),
        (true, false) => (lo, lo),
        (false, true) => (hi, hi),
        (false, false) => (0.0, 1.0),
    };
    if hi > lo {
        (lo, hi)
    } else if lo == 0.0 {
        (0.0, 1.0)
    } else {
        let pad = lo.abs() / 2.0;
        (lo - pad, hi + pad)
    }
}

/// The step of 1, 2 or 5 times a power of ten nearest above `raw`.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 + 1e-9 {
        1.0
    } else if fraction <= 2.0 + 1e-9 {
        2.0
    } else if fraction <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// A pixel coordinate, at most two decimals, without trailing zeros.
pub fn px(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_directions() {
        let x = Scale {
            domain: (0.0, 1.0),
            range: (60.0, 460.0),
        };
        assert_eq!(x.map(0.5), 260.0);
        let y = Scale {
            domain: (0.0, 1.0),
            range: (270.0, 30.0),
        };
        assert_eq!(y.map(0.75), 90.0);
        let flat = Scale {
            domain: (2.0, 2.0),
            range: (0.0, 10.0),
        };
        assert_eq!(flat.map(2.0), 5.0);
    }

    #[test]
    fn nice_ticks_cover_the_data() {
        let t = Ticks::nice(0.0, 1.0, 5);
        assert_eq!(t.values.len(), 6);
        assert_eq!(t.decimals, 1);
        assert_eq!(t.label(t.values[3]), "0.6");
        // A raw step of 0.548 rounds up to 1.
        let t = Ticks::nice(0.13, 2.87, 5);
        assert_eq!(t.values, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!((t.decimals, t.label(2.0)), (0, "2".to_owned()));
        // 1..20 by a raw 3.8, so by 5, from 0.
        assert_eq!(Ticks::nice(1.0, 20.0, 5).domain(), (0.0, 20.0));
        // A single value 3 is widened to 1.5..4.5, then to whole steps of 1.
        assert_eq!(Ticks::nice(3.0, 3.0, 4).domain(), (1.0, 5.0));
        // 0.3 is a whole number of steps of 0.1 despite rounding.
        assert_eq!(Ticks::nice(0.3, 0.7, 4).values.len(), 5);
        let t = Ticks::nice(f64::NAN, f64::INFINITY, 4);
        assert_eq!(t.domain(), (0.0, 1.0));
        assert_eq!(Ticks::nice(-1.0, 0.0, 4).label(-0.0), "0.0");
    }

    #[test]
    fn pixels_are_short() {
        assert_eq!(px(260.0), "260");
        assert_eq!(px(90.126), "90.13");
        assert_eq!(px(-0.001), "0");
    }
}
