//! The fitted feature pipeline: turns named customer values into the model's
//! numeric columns, exactly as at training time.

use std::collections::BTreeMap;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use rapport_core::ScoreError;
use rapport_core::scoring::{ColumnKind, Frame, Row, Value};

use crate::encode::{CategoricalEncoder, MISSING_LEVEL, NumericEncoder};

/// How one original feature is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Encoder {
    /// Standardised number, with a missing indicator when train had gaps.
    Numeric(NumericEncoder),
    /// One-hot levels with an optional "other" bucket.
    Categorical(CategoricalEncoder),
}

/// One original feature (input column) and where its model columns start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// The input column name.
    pub name: String,
    /// Its fitted encoder.
    pub encoder: Encoder,
    /// Index of its first model column.
    pub offset: usize,
}

impl Feature {
    /// Number of model columns of this feature.
    pub fn width(&self) -> usize {
        match &self.encoder {
            Encoder::Numeric(e) => e.width(),
            Encoder::Categorical(e) => e.width(),
        }
    }

    /// Fits the encoder of column `name` on the train frame.
    fn fit(
        frame: &Frame,
        name: &str,
        kind: Option<ColumnKind>,
        min_frequency: usize,
        offset: usize,
    ) -> Result<Feature, ScoreError> {
        let index = frame
            .column_index(name)
            .ok_or_else(|| ScoreError::UnknownColumn(name.to_owned()))?;
        let column: Vec<&Value> = (0..frame.len())
            .filter_map(|i| frame.row_values(i).and_then(|r| r.get(index)))
            .collect();
        let kind = kind.unwrap_or_else(|| ColumnKind::infer(column.iter().copied()));
        let encoder = match kind {
            ColumnKind::Numeric => {
                let numbers = column
                    .iter()
                    .enumerate()
                    .map(|(row, v)| v.read_number(name, row))
                    .collect::<Result<Vec<_>, _>>()?;
                Encoder::Numeric(NumericEncoder::fit(&numbers))
            }
            ColumnKind::Categorical => {
                let levels = column
                    .iter()
                    .enumerate()
                    .map(|(row, v)| read_level(name, row, v))
                    .collect::<Result<Vec<_>, _>>()?;
                Encoder::Categorical(CategoricalEncoder::fit(&levels, min_frequency))
            }
        };
        Ok(Feature {
            name: name.to_owned(),
            encoder,
            offset,
        })
    }

    /// Writes this feature's model columns for one value.
    fn encode(&self, value: &Value, row: usize, out: &mut [f64]) -> Result<(), ScoreError> {
        let out = &mut out[self.offset..self.offset + self.width()];
        match &self.encoder {
            Encoder::Numeric(e) => e.encode(value.read_number(&self.name, row)?, out),
            Encoder::Categorical(e) => e.encode(&read_level(&self.name, row, value)?, out),
        }
        Ok(())
    }
}

/// A categorical level; missing is [`MISSING_LEVEL`], a non-finite number is refused.
fn read_level(column: &str, row: usize, value: &Value) -> Result<String, ScoreError> {
    Ok(value
        .read_level(column, row)?
        .unwrap_or_else(|| MISSING_LEVEL.to_owned()))
}

/// The fitted transform from customer values to model columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    features: Vec<Feature>,
    width: usize,
}

impl Pipeline {
    /// Fits an encoder per column of `columns` on the train frame. `kinds`
    /// overrides the inferred type of the columns it names; categorical levels
    /// seen fewer than `min_frequency` times go to the "other" bucket.
    pub fn fit(
        frame: &Frame,
        columns: &[String],
        kinds: &BTreeMap<String, ColumnKind>,
        min_frequency: usize,
    ) -> Result<Pipeline, ScoreError> {
        if columns.is_empty() {
            return Err(ScoreError::NoFeatures);
        }
        if let Some(unknown) = kinds.keys().find(|k| !columns.contains(k)) {
            return Err(ScoreError::UnknownColumn(unknown.clone()));
        }
        let mut features = Vec::with_capacity(columns.len());
        let mut width = 0;
        for name in columns {
            let feature =
                Feature::fit(frame, name, kinds.get(name).copied(), min_frequency, width)?;
            width += feature.width();
            features.push(feature);
        }
        Ok(Pipeline { features, width })
    }

    /// The original features in model order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Total number of model columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Encodes one row (`index` only names the row in errors); absent columns count as missing.
    pub fn transform_row(
        &self,
        row: &dyn Row,
        index: usize,
        out: &mut [f64],
    ) -> Result<(), ScoreError> {
        for feature in &self.features {
            let value = row.get(&feature.name).unwrap_or(&Value::Missing);
            feature.encode(value, index, out)?;
        }
        Ok(())
    }

    /// Encodes every row of a frame into a matrix (rows x model columns).
    pub fn transform_frame(&self, frame: &Frame) -> Result<Array2<f64>, ScoreError> {
        let mut data = vec![0.0; frame.len() * self.width];
        let rows = frame.iter().enumerate();
        for ((i, row), out) in rows.zip(data.chunks_mut(self.width.max(1))) {
            self.transform_row(&row, i, out)?;
        }
        Array2::from_shape_vec((frame.len(), self.width), data)
            .map_err(|e| ScoreError::Internal(e.to_string()))
    }

    /// Human-readable names of the model columns, e.g. `tenure`,
    /// `TotalCharges (missing)`, `Contract=Two year`.
    pub fn column_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.width);
        for feature in &self.features {
            match &feature.encoder {
                Encoder::Numeric(e) => {
                    names.push(feature.name.clone());
                    if e.indicator {
                        names.push(format!("{} (missing)", feature.name));
                    }
                }
                Encoder::Categorical(e) => {
                    names.extend(e.column_levels().map(|l| format!("{}={l}", feature.name)));
                }
            }
        }
        names
    }
}
