//! The engine's parameters, published as `ParamSpec`s and checked into
//! [`SegmentParams`].

use rapport_core::{ParamSpec, Params};
use serde::{Deserialize, Serialize};

use crate::columns::Imputation;
use crate::error::SegmentError;
use crate::kmeans::KMeansOptions;
use crate::silhouette::SILHOUETTE_MAX_ROWS;

/// Most segments a model may have.
pub const MAX_K: usize = 64;

/// What the features are made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeatureChoice {
    /// Recency, frequency and monetary value from the interaction log.
    Rfm,
    /// Chosen customer columns.
    Columns {
        /// Numeric columns.
        numeric: Vec<String>,
        /// Categorical columns, one-hot encoded.
        categorical: Vec<String>,
    },
}

/// Parameters of the segments engine, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentParams {
    /// Segments wanted; 0 chooses by best silhouette over `k_min..=k_max`.
    pub k: usize,
    /// Smallest k tried when choosing.
    pub k_min: usize,
    /// Largest k tried when choosing.
    pub k_max: usize,
    /// Settings of every k-means fit (its `k` is set per fit).
    pub kmeans: KMeansOptions,
    /// Interaction kinds that count for RFM.
    pub kinds: Vec<String>,
    /// The features.
    pub features: FeatureChoice,
    /// How blanks of numeric columns are filled.
    pub imputation: Imputation,
    /// Rows scored exactly by the silhouette; a seeded sample beyond.
    pub silhouette_rows: usize,
}

impl Default for SegmentParams {
    fn default() -> Self {
        SegmentParams {
            k: 0,
            k_min: 2,
            k_max: 8,
            // k is set per fit.
            kmeans: KMeansOptions {
                k: 0,
                ..KMeansOptions::default()
            },
            kinds: vec!["purchase".into()],
            features: FeatureChoice::Rfm,
            imputation: Imputation::Zero,
            silhouette_rows: SILHOUETTE_MAX_ROWS,
        }
    }
}

/// The specs of every parameter, with the defaults of [`SegmentParams::default`].
pub fn param_specs() -> Vec<ParamSpec> {
    let d = SegmentParams::default();
    let max_k = MAX_K as i64;
    vec![
        ParamSpec::int(
            "k",
            0,
            0,
            max_k,
            "segments; 0 chooses k by best silhouette over k_min..k_max",
        ),
        ParamSpec::int(
            "k_min",
            d.k_min as i64,
            2,
            max_k,
            "smallest k tried when choosing",
        ),
        ParamSpec::int(
            "k_max",
            d.k_max as i64,
            2,
            max_k,
            "largest k tried when choosing",
        ),
        ParamSpec::int(
            "n_init",
            d.kmeans.n_init as i64,
            1,
            1_000,
            "k-means++ restarts; the lowest inertia is kept",
        ),
        ParamSpec::int(
            "max_iter",
            d.kmeans.max_iter as i64,
            1,
            100_000,
            "most Lloyd iterations per restart",
        ),
        ParamSpec::float(
            "tol",
            d.kmeans.tol,
            0.0,
            1.0,
            "stop when the total squared centre shift is below tol x the mean feature variance",
        ),
        ParamSpec::int(
            "seed",
            0,
            0,
            1 << 53,
            "seed of the restarts and of the silhouette sample",
        ),
        ParamSpec::text(
            "kinds",
            "purchase",
            "interaction kinds counted by RFM, comma-separated",
        ),
        ParamSpec::text(
            "features",
            "rfm",
            "`rfm`, or numeric customer columns, comma-separated",
        ),
        ParamSpec::text(
            "categorical",
            "",
            "categorical customer columns, one-hot encoded, comma-separated",
        ),
        ParamSpec::choice(
            "impute",
            "zero",
            &["zero", "mean"],
            "value of blank numeric cells",
        ),
        ParamSpec::int(
            "silhouette_rows",
            d.silhouette_rows as i64,
            100,
            1_000_000,
            "rows scored exactly by the silhouette; a seeded sample beyond",
        ),
    ]
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl SegmentParams {
    /// The defaults with the caller's overrides applied and checked.
    pub fn resolve(overrides: &Params) -> Result<SegmentParams, SegmentError> {
        let v = overrides.resolve(&param_specs())?;
        let (k_min, k_max) = (v.usize("k_min")?, v.usize("k_max")?);
        if k_min > k_max {
            return Err(SegmentError::invalid_param(
                "k_min",
                format!("{k_min} is above k_max {k_max}"),
            ));
        }
        let numeric = list(v.text("features")?);
        let categorical = list(v.text("categorical")?);
        let features = if numeric.len() == 1 && numeric[0] == "rfm" && categorical.is_empty() {
            FeatureChoice::Rfm
        } else if numeric.iter().any(|c| c == "rfm") {
            return Err(SegmentError::invalid_param(
                "features",
                "`rfm` cannot be mixed with columns",
            ));
        } else if numeric.is_empty() && categorical.is_empty() {
            return Err(SegmentError::invalid_param("features", "no column chosen"));
        } else {
            FeatureChoice::Columns {
                numeric,
                categorical,
            }
        };
        let kinds = list(v.text("kinds")?);
        if kinds.is_empty() && features == FeatureChoice::Rfm {
            return Err(SegmentError::invalid_param("kinds", "no kind chosen"));
        }
        Ok(SegmentParams {
            k: v.usize("k")?,
            k_min,
            k_max,
            kmeans: KMeansOptions {
                k: 0,
                n_init: v.usize("n_init")?,
                max_iter: v.usize("max_iter")?,
                tol: v.float("tol")?,
                seed: v.usize("seed")? as u64,
            },
            kinds,
            features,
            imputation: match v.text("impute")? {
                "mean" => Imputation::Mean,
                _ => Imputation::Zero,
            },
            silhouette_rows: v.usize("silhouette_rows")?,
        })
    }

    /// Whether interactions of `kind` count for RFM.
    pub fn counts_kind(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }

    /// The values of k to fit: `k` alone, or `k_min..=k_max`.
    pub fn candidate_ks(&self) -> Vec<usize> {
        if self.k > 0 {
            vec![self.k]
        } else {
            (self.k_min..=self.k_max).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_refusals() {
        let d = SegmentParams::resolve(&Params::new()).unwrap();
        assert_eq!(d, SegmentParams::default());
        assert_eq!(d.candidate_ks(), (2..=8).collect::<Vec<_>>());
        assert!(d.counts_kind("purchase") && !d.counts_kind("view"));
        let p = SegmentParams::resolve(
            &Params::new()
                .with("k", 4)
                .with("features", "tenure, MonthlyCharges")
                .with("categorical", "Contract")
                .with("impute", "mean"),
        )
        .unwrap();
        assert_eq!(p.candidate_ks(), [4]);
        assert_eq!(p.imputation, Imputation::Mean);
        assert_eq!(
            p.features,
            FeatureChoice::Columns {
                numeric: vec!["tenure".into(), "MonthlyCharges".into()],
                categorical: vec!["Contract".into()],
            }
        );
        for (name, value) in [
            ("k_min", "9"),
            ("k", "65"),
            ("features", "rfm,tenure"),
            ("features", " , "),
            ("kinds", ""),
            ("nope", "1"),
        ] {
            let err = SegmentParams::resolve(&Params::new().with(name, value)).unwrap_err();
            assert!(
                matches!(&err, SegmentError::InvalidParam { name: n, .. } if n == name),
                "{name}={value}: {err}"
            );
        }
    }
}
