//! Features from chosen customer columns: numbers (blanks as 0, or the
//! column mean when asked) and, optionally, categories one-hot encoded.

use std::collections::BTreeSet;

use rapport_core::scoring::{Frame, Row, Value};
use serde::{Deserialize, Serialize};

use crate::error::SegmentError;
use crate::matrix::Points;

/// How blanks of numeric columns are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Imputation {
    /// Blanks are 0 (DESIGN.md §5's default).
    #[default]
    Zero,
    /// Blanks take the mean of the column's values.
    Mean,
}

/// Which columns make the features and how each is encoded; fitted on the
/// training frame so that new customers are encoded the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnEncoder {
    /// Numeric columns with the value their blanks take.
    pub numeric: Vec<(String, f64)>,
    /// Categorical columns with their levels, sorted; one feature per level.
    pub categorical: Vec<(String, Vec<String>)>,
}

impl ColumnEncoder {
    /// Learns fills and levels of `numeric` and `categorical` from `frame`.
    pub fn fit(
        frame: &Frame,
        numeric: &[String],
        categorical: &[String],
        imputation: Imputation,
    ) -> Result<ColumnEncoder, SegmentError> {
        if numeric.is_empty() && categorical.is_empty() {
            return Err(SegmentError::NoFeatures);
        }
        let mut fills = Vec::with_capacity(numeric.len());
        for name in numeric {
            let at = column(frame, name)?;
            let (mut sum, mut count) = (0.0, 0usize);
            for row in 0..frame.len() {
                if let Some(x) = number(frame_value(frame, row, at), name, row)? {
                    sum += x;
                    count += 1;
                }
            }
            let fill = match imputation {
                Imputation::Mean if count > 0 => sum / count as f64,
                Imputation::Mean | Imputation::Zero => 0.0,
            };
            fills.push((name.clone(), fill));
        }
        let mut levels = Vec::with_capacity(categorical.len());
        for name in categorical {
            let at = column(frame, name)?;
            let seen: BTreeSet<String> = (0..frame.len())
                .filter_map(|row| frame_value(frame, row, at).as_level())
                .collect();
            levels.push((name.clone(), seen.into_iter().collect()));
        }
        Ok(ColumnEncoder {
            numeric: fills,
            categorical: levels,
        })
    }

    /// Feature names: numeric columns, then `column=level` per level.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.numeric.iter().map(|(n, _)| n.clone()).collect();
        for (column, levels) in &self.categorical {
            names.extend(levels.iter().map(|l| format!("{column}={l}")));
        }
        names
    }

    /// Whether feature `i` is a one-hot level (profiles word those as shares).
    pub fn is_level(&self, i: usize) -> bool {
        i >= self.numeric.len()
    }

    /// The features of one customer; a column absent from the row is blank,
    /// a level not seen in training sets no one-hot feature.
    pub fn encode(&self, row: &dyn Row, index: usize) -> Result<Vec<f64>, SegmentError> {
        let mut out = Vec::with_capacity(self.feature_names().len());
        for (name, fill) in &self.numeric {
            let value = row.get(name).unwrap_or(&Value::Missing);
            out.push(number(value, name, index)?.unwrap_or(*fill));
        }
        for (name, levels) in &self.categorical {
            let level = row.get(name).and_then(Value::as_level);
            out.extend(
                levels
                    .iter()
                    .map(|l| f64::from(u8::from(level.as_ref() == Some(l)))),
            );
        }
        Ok(out)
    }

    /// The features of every row of `frame`.
    pub fn encode_frame(&self, frame: &Frame) -> Result<Points, SegmentError> {
        let width = self.feature_names().len();
        let mut data = Vec::with_capacity(frame.len() * width);
        for (i, row) in frame.iter().enumerate() {
            data.extend(self.encode(&row, i)?);
        }
        Points::new(frame.len(), width, data)
    }
}

fn column(frame: &Frame, name: &str) -> Result<usize, SegmentError> {
    frame
        .column_index(name)
        .ok_or_else(|| SegmentError::UnknownColumn(name.to_owned()))
}

fn frame_value(frame: &Frame, row: usize, at: usize) -> &Value {
    frame
        .row_values(row)
        .and_then(|v| v.get(at))
        .unwrap_or(&Value::Missing)
}

/// The value as a number; `None` when blank, an error when not numeric.
fn number(value: &Value, column: &str, row: usize) -> Result<Option<f64>, SegmentError> {
    match value {
        Value::Missing => Ok(None),
        Value::Number(x) if !x.is_finite() => Err(SegmentError::NonFinite {
            column: column.to_owned(),
            row,
        }),
        other => other
            .as_number()
            .map(Some)
            .ok_or_else(|| SegmentError::NotNumeric {
                column: column.to_owned(),
                row,
                value: other.to_string(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        let t = |s: &str| Value::from_cell(s);
        Frame::new(
            vec!["tenure".into(), "charges".into(), "plan".into()],
            vec![
                vec![t("1"), t("10"), t("basic")],
                vec![t("3"), t(" "), t("pro")],
                vec![t("5"), t("20"), t("basic")],
            ],
        )
        .unwrap()
    }

    #[test]
    fn blanks_are_zero_or_the_mean_and_levels_are_one_hot() {
        let names = ["tenure".to_owned(), "charges".to_owned()];
        let zero =
            ColumnEncoder::fit(&frame(), &names, &["plan".into()], Imputation::Zero).unwrap();
        assert_eq!(
            zero.feature_names(),
            ["tenure", "charges", "plan=basic", "plan=pro"]
        );
        let p = zero.encode_frame(&frame()).unwrap();
        assert_eq!(p.row(1), [3.0, 0.0, 0.0, 1.0]);
        let mean = ColumnEncoder::fit(&frame(), &names, &[], Imputation::Mean).unwrap();
        assert_eq!(mean.encode_frame(&frame()).unwrap().row(1), [3.0, 15.0]);
        assert!(zero.is_level(2) && !zero.is_level(1));
    }

    #[test]
    fn unknown_and_non_numeric_columns_are_refused() {
        let err = ColumnEncoder::fit(&frame(), &["age".into()], &[], Imputation::Zero).unwrap_err();
        assert_eq!(err, SegmentError::UnknownColumn("age".into()));
        let err =
            ColumnEncoder::fit(&frame(), &["plan".into()], &[], Imputation::Zero).unwrap_err();
        assert!(matches!(err, SegmentError::NotNumeric { row: 0, .. }));
        assert_eq!(
            ColumnEncoder::fit(&frame(), &[], &[], Imputation::Zero).unwrap_err(),
            SegmentError::NoFeatures
        );
    }
}
