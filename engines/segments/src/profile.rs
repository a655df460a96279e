//! Readable profiles of segments: words from the standardised centre (a
//! z-score below -0.5 is low, above 0.5 high), values in original units.

use serde::{Deserialize, Serialize};

use crate::rfm::Rfm;

/// |z| beyond which a feature is worth a word.
pub const WORD_THRESHOLD: f64 = 0.5;

/// A segment's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The words, e.g. `["recent", "frequent", "high spend"]`; empty when average.
    pub traits: Vec<String>,
    /// One line, e.g. `recent, frequent, high spend: R 3 d, F 12, M 2,410`.
    pub summary: String,
}

fn word(z: f64, low: &str, high: &str) -> Option<String> {
    if z < -WORD_THRESHOLD {
        Some(low.to_owned())
    } else if z > WORD_THRESHOLD {
        Some(high.to_owned())
    } else {
        None
    }
}

fn join(traits: Vec<String>, values: &[String]) -> Profile {
    let head = if traits.is_empty() {
        "average".to_owned()
    } else {
        traits.join(", ")
    };
    Profile {
        summary: format!("{head}: {}", values.join(", ")),
        traits,
    }
}

/// The profile of an RFM centre: `z` standardised, `features` the centre's
/// `log1p` features in original units.
pub fn rfm_profile(z: &[f64], features: &[f64]) -> Profile {
    let at = |i: usize| z.get(i).copied().unwrap_or(0.0);
    let traits = [
        word(at(0), "recent", "lapsed"),
        word(at(1), "occasional", "frequent"),
        word(at(2), "low spend", "high spend"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let rfm = Rfm::from_features(features);
    let values = [
        format!("R {} d", number(rfm.recency_days)),
        format!("F {}", number(rfm.frequency)),
        format!("M {}", number(rfm.monetary)),
    ];
    join(traits, &values)
}

/// The profile of a centre of chosen columns. Numeric features get
/// "high NAME" / "low NAME"; one-hot levels (`is_level`) are named only when
/// over-represented, with their share in the segment.
pub fn column_profile(
    names: &[String],
    is_level: impl Fn(usize) -> bool,
    z: &[f64],
    centre: &[f64],
) -> Profile {
    let mut traits = Vec::new();
    let mut values = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let zi = z.get(i).copied().unwrap_or(0.0);
        let x = centre.get(i).copied().unwrap_or(0.0);
        if is_level(i) {
            if zi > WORD_THRESHOLD {
                traits.push(format!("mostly {name}"));
                values.push(format!("{name} {} %", number(100.0 * x)));
            }
        } else {
            traits.extend(word(zi, &format!("low {name}"), &format!("high {name}")));
            values.push(format!("{name} {}", number(x)));
        }
    }
    join(traits, &values)
}

/// A number for people: thousands grouped and no decimals from 100 up,
/// else one decimal (dropped when zero).
pub fn number(x: f64) -> String {
    if x.abs() >= 100.0 {
        let whole = x.round().abs() as u64;
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        if x < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else {
        let text = format!("{:.1}", x);
        let text = text.strip_suffix(".0").unwrap_or(&text).to_owned();
        if text == "-0" { "0".to_owned() } else { text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfm_words_and_values() {
        let features = [3f64.ln_1p(), 12f64.ln_1p(), 2410f64.ln_1p()];
        let p = rfm_profile(&[-1.2, 0.9, 1.4], &features);
        assert_eq!(
            p.summary,
            "recent, frequent, high spend: R 3 d, F 12, M 2,410"
        );
        let p = rfm_profile(&[0.1, -0.7, 0.0], &[0.0, 1f64.ln_1p(), 0.0]);
        assert_eq!(p.traits, ["occasional"]);
        assert_eq!(
            rfm_profile(&[0.0; 3], &[0.0; 3]).summary,
            "average: R 0 d, F 0, M 0"
        );
    }

    #[test]
    fn column_words_name_high_and_low_and_over_represented_levels() {
        let names = [
            "tenure".to_owned(),
            "MonthlyCharges".to_owned(),
            "plan=pro".to_owned(),
        ];
        let p = column_profile(&names, |i| i == 2, &[1.3, -0.8, 0.2], &[58.04, 31.24, 0.4]);
        assert_eq!(
            p.summary,
            "high tenure, low MonthlyCharges: tenure 58, MonthlyCharges 31.2"
        );
        let p = column_profile(&names, |i| i == 2, &[0.0, 0.0, 0.9], &[5.0, 7.0, 0.8]);
        assert_eq!(
            p.summary,
            "mostly plan=pro: tenure 5, MonthlyCharges 7, plan=pro 80 %"
        );
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(1234567.4), "1,234,567");
        assert_eq!(number(-2410.0), "-2,410");
        assert_eq!(number(31.24), "31.2");
        assert_eq!(number(-0.01), "0");
        assert_eq!(number(100.0), "100");
    }
}
