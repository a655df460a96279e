//! Feature binning: each original feature becomes small integer bins fitted
//! on the training rows. Bin 0 holds missing values; a numeric feature's
//! present values fall in quantile bins cut half-way between neighbouring
//! train values; a categorical feature has one bin per level seen at least
//! `min_frequency` times (sorted) and a last bin for rare and unseen levels.

use std::collections::BTreeMap;

use rapport_core::ScoreError;
use rapport_core::scoring::{ColumnKind, Frame, Row, TrainSpec, Value};
use serde::{Deserialize, Serialize};

use crate::split::Layout;

/// The bin of a missing value, for every feature.
pub const MISSING_BIN: u16 = 0;

/// How the present values of a feature map to bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BinKind {
    /// Cut points in increasing order: a present value `x` falls in bin
    /// `1 + #{t : t <= x}`, so bins `1..=b` hold exactly the values `x < t_b`.
    Numeric {
        /// The cut points.
        thresholds: Vec<f64>,
    },
    /// Sorted levels in bins `1..=levels.len()`; the bin after them holds
    /// levels rarer than `min_frequency` in train and levels never seen.
    Categorical {
        /// The kept levels.
        levels: Vec<String>,
    },
}

/// The bins of one original feature (input column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureBins {
    /// The input column.
    pub name: String,
    /// Its value-to-bin map.
    pub kind: BinKind,
    /// Train rows with no value.
    pub missing_rows: usize,
    /// Train rows holding a level of the rare bin (categorical only).
    pub rare_rows: usize,
}

impl FeatureBins {
    /// Number of bins, the missing bin included.
    pub fn n_bins(&self) -> usize {
        match &self.kind {
            BinKind::Numeric { thresholds } => thresholds.len() + 2,
            BinKind::Categorical { levels } => levels.len() + 2,
        }
    }

    /// Whether the feature is categorical.
    pub fn is_categorical(&self) -> bool {
        matches!(self.kind, BinKind::Categorical { .. })
    }

    /// The bin of one value (`row` only names the row in errors).
    pub fn bin_of(&self, value: &Value, row: usize) -> Result<u16, ScoreError> {
        let bin = match &self.kind {
            BinKind::Numeric { thresholds } => match value.read_number(&self.name, row)? {
                None => return Ok(MISSING_BIN),
                Some(x) => 1 + thresholds.partition_point(|&t| t <= x),
            },
            BinKind::Categorical { levels } => match value.read_level(&self.name, row)? {
                None => return Ok(MISSING_BIN),
                Some(level) => 1 + levels.binary_search(&level).unwrap_or(levels.len()),
            },
        };
        Ok(bin as u16)
    }

    /// A readable name of a bin's values: the level, `(missing)`, `(other)`,
    /// or the numeric range `[lo, hi)`.
    pub fn bin_label(&self, bin: u16) -> String {
        let bin = usize::from(bin);
        if bin == 0 {
            return "(missing)".to_owned();
        }
        match &self.kind {
            BinKind::Categorical { levels } => levels
                .get(bin - 1)
                .cloned()
                .unwrap_or_else(|| "(other)".to_owned()),
            BinKind::Numeric { thresholds } => {
                let lo = bin.checked_sub(2).and_then(|i| thresholds.get(i));
                let hi = thresholds.get(bin - 1);
                format!(
                    "[{}, {})",
                    lo.map_or("-inf".to_owned(), f64::to_string),
                    hi.map_or("inf".to_owned(), f64::to_string)
                )
            }
        }
    }

    fn fit_numeric(name: &str, values: &[Option<f64>], max_bins: usize) -> FeatureBins {
        let mut present: Vec<f64> = values.iter().flatten().copied().collect();
        present.sort_by(f64::total_cmp);
        let mut distinct: Vec<(f64, usize)> = Vec::new();
        for group in present.chunk_by(|a, b| a == b) {
            distinct.push((group[0], group.len()));
        }
        // `max_bins` counts the present bins; cut after a distinct value once
        // its bin holds its share of the rows, or after every value when they
        // are few.
        let per_bin = present.len() as f64 / max_bins as f64;
        let mut thresholds = Vec::new();
        let mut in_bin = 0usize;
        for pair in distinct.windows(2) {
            in_bin += pair[0].1;
            if distinct.len() <= max_bins || in_bin as f64 >= per_bin {
                thresholds.push(pair[0].0 + (pair[1].0 - pair[0].0) / 2.0);
                in_bin = 0;
            }
        }
        thresholds.truncate(max_bins - 1);
        FeatureBins {
            name: name.to_owned(),
            kind: BinKind::Numeric { thresholds },
            missing_rows: values.len() - present.len(),
            rare_rows: 0,
        }
    }

    fn fit_categorical(name: &str, values: &[Option<String>], min_frequency: usize) -> FeatureBins {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for level in values.iter().flatten() {
            *counts.entry(level.as_str()).or_default() += 1;
        }
        let (kept, rare): (Vec<_>, Vec<_>) = counts
            .into_iter()
            .partition(|&(_, count)| count >= min_frequency);
        FeatureBins {
            name: name.to_owned(),
            kind: BinKind::Categorical {
                levels: kept.into_iter().map(|(l, _)| l.to_owned()).collect(),
            },
            missing_rows: values.iter().filter(|v| v.is_none()).count(),
            rare_rows: rare.into_iter().map(|(_, count)| count).sum(),
        }
    }
}

/// Rows turned into bins, one column of bins per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedRows {
    columns: Vec<Vec<u16>>,
    rows: usize,
}

impl BinnedRows {
    /// Rows from bin columns (one per feature, all of one length).
    pub fn new(columns: Vec<Vec<u16>>) -> BinnedRows {
        let rows = columns.first().map_or(0, Vec::len);
        BinnedRows { columns, rows }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The bin of `feature` in `row`.
    pub fn bin(&self, feature: usize, row: usize) -> u16 {
        self.columns[feature][row]
    }

    /// The bins of one feature, row by row.
    pub fn column(&self, feature: usize) -> &[u16] {
        &self.columns[feature]
    }
}

/// The fitted bins of every feature, in feature order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binner {
    features: Vec<FeatureBins>,
}

impl Binner {
    /// Fits the bins of `columns` on the train frame; `spec.kinds` overrides
    /// inferred types (and may only name feature columns). At most `max_bins`
    /// bins hold present numeric values.
    pub fn fit(
        frame: &Frame,
        columns: &[String],
        spec: &TrainSpec,
        max_bins: usize,
        min_frequency: usize,
    ) -> Result<Binner, ScoreError> {
        if let Some(unknown) = spec.kinds.keys().find(|k| !columns.contains(k)) {
            return Err(ScoreError::UnknownColumn(unknown.clone()));
        }
        let max_bins = max_bins.clamp(2, usize::from(u16::MAX) - 2);
        let features = columns
            .iter()
            .map(|name| {
                let index = frame
                    .column_index(name)
                    .ok_or_else(|| ScoreError::UnknownColumn(name.clone()))?;
                let values = (0..frame.len())
                    .map(|i| frame.row_values(i).and_then(|r| r.get(index)))
                    .map(|v| v.unwrap_or(&Value::Missing));
                Ok(match spec.kind_of(frame, index) {
                    ColumnKind::Numeric => {
                        let numbers = values
                            .enumerate()
                            .map(|(row, v)| v.read_number(name, row))
                            .collect::<Result<Vec<_>, _>>()?;
                        FeatureBins::fit_numeric(name, &numbers, max_bins)
                    }
                    ColumnKind::Categorical => {
                        let levels = values
                            .enumerate()
                            .map(|(row, v)| v.read_level(name, row))
                            .collect::<Result<Vec<_>, _>>()?;
                        FeatureBins::fit_categorical(name, &levels, min_frequency)
                    }
                })
            })
            .collect::<Result<Vec<_>, ScoreError>>()?;
        Ok(Binner { features })
    }

    /// The histogram layout of these features.
    pub fn layout(&self) -> Layout {
        let bins: Vec<(usize, bool)> = self
            .features
            .iter()
            .map(|f| (f.n_bins(), f.is_categorical()))
            .collect();
        Layout::new(&bins)
    }

    /// The features in order.
    pub fn features(&self) -> &[FeatureBins] {
        &self.features
    }

    /// The bins of one row (`index` only names it in errors); absent columns are missing.
    pub fn bin_row(&self, row: &dyn Row, index: usize) -> Result<Vec<u16>, ScoreError> {
        self.features
            .iter()
            .map(|f| f.bin_of(row.get(&f.name).unwrap_or(&Value::Missing), index))
            .collect()
    }

    /// The bins of every row of `frame`.
    pub fn bin_frame(&self, frame: &Frame) -> Result<BinnedRows, ScoreError> {
        let mut columns = vec![Vec::with_capacity(frame.len()); self.features.len()];
        for (i, row) in frame.iter().enumerate() {
            for (bins, bin) in columns.iter_mut().zip(self.bin_row(&row, i)?) {
                bins.push(bin);
            }
        }
        Ok(BinnedRows {
            columns,
            rows: frame.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use rapport_core::scoring::LabelSpec;

    use super::*;

    fn frame() -> Frame {
        let rows = (0..12)
            .map(|i| {
                let x = if i == 5 {
                    Value::Missing
                } else {
                    Value::Number(f64::from(i % 4))
                };
                let plan = ["a", "b", "a", "rare"][(i as usize) % 4];
                let plan = if i == 3 { "b" } else { plan };
                vec![x, Value::Text(plan.into()), Value::Bool(i % 2 == 0)]
            })
            .collect();
        Frame::new(vec!["x".into(), "plan".into(), "y".into()], rows).unwrap()
    }

    #[test]
    fn numeric_bins_cut_between_values_and_missing_is_bin_zero() {
        let spec = TrainSpec::new(LabelSpec::rule("y", "true"));
        let columns = ["x".to_owned(), "plan".to_owned()];
        let binner = Binner::fit(&frame(), &columns, &spec, 255, 2).unwrap();
        let x = &binner.features()[0];
        assert_eq!(
            x.kind,
            BinKind::Numeric {
                thresholds: vec![0.5, 1.5, 2.5]
            }
        );
        assert_eq!(x.missing_rows, 1);
        assert_eq!(x.bin_of(&Value::Number(-3.0), 0).unwrap(), 1);
        assert_eq!(x.bin_of(&Value::Number(1.5), 0).unwrap(), 3);
        assert_eq!(x.bin_of(&Value::Text("9".into()), 0).unwrap(), 4);
        assert_eq!(x.bin_of(&Value::Missing, 0).unwrap(), MISSING_BIN);
        assert!(matches!(
            x.bin_of(&Value::Text("nine".into()), 7),
            Err(ScoreError::NotNumeric { row: 7, .. })
        ));
        assert_eq!(x.bin_label(2), "[0.5, 1.5)");
        // Two bins for four values: one cut, after half the rows.
        let coarse = Binner::fit(&frame(), &columns, &spec, 2, 2).unwrap();
        assert_eq!(coarse.features()[0].n_bins(), 3);
    }

    #[test]
    fn rare_and_unseen_levels_share_the_last_bin() {
        let spec = TrainSpec::new(LabelSpec::rule("y", "true"));
        let columns = ["x".to_owned(), "plan".to_owned()];
        let binner = Binner::fit(&frame(), &columns, &spec, 255, 3).unwrap();
        let plan = &binner.features()[1];
        // a: rows 0, 2, 4, 6, 8, 10 ... b: 1, 3, 5, 9; rare: 7, 11.
        assert_eq!(
            plan.kind,
            BinKind::Categorical {
                levels: vec!["a".into(), "b".into()]
            }
        );
        assert_eq!(plan.rare_rows, 2);
        assert_eq!(plan.bin_of(&Value::Text("b".into()), 0).unwrap(), 2);
        assert_eq!(plan.bin_of(&Value::Text("never".into()), 0).unwrap(), 3);
        assert_eq!(plan.bin_label(3), "(other)");
        let binned = binner.bin_frame(&frame()).unwrap();
        assert_eq!(binned.rows(), 12);
        assert_eq!(binned.column(1)[7], 3);
        assert_eq!(binned.bin(0, 5), MISSING_BIN);
    }

    #[test]
    fn type_overrides_must_name_features() {
        let mut spec = TrainSpec::new(LabelSpec::rule("y", "true"));
        spec.kinds.insert("x".into(), ColumnKind::Categorical);
        let columns = ["x".to_owned()];
        let binner = Binner::fit(&frame(), &columns, &spec, 255, 1).unwrap();
        assert!(binner.features()[0].is_categorical());
        spec.kinds.insert("nope".into(), ColumnKind::Numeric);
        assert!(matches!(
            Binner::fit(&frame(), &columns, &spec, 255, 1),
            Err(ScoreError::UnknownColumn(c)) if c == "nope"
        ));
    }
}
