//! Plain input data: cell values, rows addressed by column name, and frames.

use serde::{Deserialize, Serialize};

use super::error::ScoreError;

/// One attribute value of a customer, as it comes from a file, JSON or the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// No value.
    Missing,
    /// A number; must be finite to be used for training or scoring.
    Number(f64),
    /// Free text; a categorical level, or a number written as text.
    Text(String),
    /// A yes/no flag; read as 1/0 by numeric columns.
    Bool(bool),
}

impl Value {
    /// Reads a text cell: blank (after trimming) is missing, anything else is text.
    pub fn from_cell(cell: &str) -> Value {
        let trimmed = cell.trim();
        if trimmed.is_empty() {
            Value::Missing
        } else {
            Value::Text(trimmed.to_owned())
        }
    }

    /// True when there is no value.
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }

    /// The value as a number, when it is one: numbers, booleans (1/0) and
    /// text that parses as a finite number. Non-finite numbers are returned
    /// as they are so that the caller can refuse them.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Missing => None,
            Value::Number(x) => Some(*x),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Text(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        }
    }

    /// The value of a numeric `column` (for errors, with its `row`): `None`
    /// when missing; refuses text that is no number and non-finite numbers.
    pub fn read_number(&self, column: &str, row: usize) -> Result<Option<f64>, ScoreError> {
        if self.is_missing() {
            return Ok(None);
        }
        match self.as_number() {
            Some(x) if x.is_finite() => Ok(Some(x)),
            Some(_) => Err(ScoreError::NonFinite {
                column: column.to_owned(),
                row,
            }),
            None => Err(ScoreError::NotNumeric {
                column: column.to_owned(),
                row,
                value: self.to_string(),
            }),
        }
    }

    /// The value of a categorical `column` (for errors, with its `row`) as a
    /// level: `None` when missing; refuses a non-finite number.
    pub fn read_level(&self, column: &str, row: usize) -> Result<Option<String>, ScoreError> {
        match self {
            Value::Number(x) if !x.is_finite() => Err(ScoreError::NonFinite {
                column: column.to_owned(),
                row,
            }),
            _ => Ok(self.as_level()),
        }
    }

    /// The value as a categorical level; `None` when missing.
    pub fn as_level(&self) -> Option<String> {
        match self {
            Value::Missing => None,
            Value::Number(x) => Some(format_number(*x)),
            Value::Text(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_level() {
            Some(level) => f.write_str(&level),
            None => f.write_str("(missing)"),
        }
    }
}

/// Numbers that are whole print without a fraction, so `1.0` and `"1"` are one level.
fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// Anything that yields a customer's value for a named column.
pub trait Row {
    /// The value of `column`, or `None` when the row has no such column.
    fn get(&self, column: &str) -> Option<&Value>;
}

impl Row for std::collections::BTreeMap<String, Value> {
    fn get(&self, column: &str) -> Option<&Value> {
        std::collections::BTreeMap::get(self, column)
    }
}

impl Row for std::collections::HashMap<String, Value> {
    fn get(&self, column: &str) -> Option<&Value> {
        std::collections::HashMap::get(self, column)
    }
}

/// A rectangular table of customers: named columns, one row per customer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Frame {
    /// Builds a frame; every row must have one value per column and names must be unique.
    pub fn new(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Result<Frame, ScoreError> {
        for (i, name) in columns.iter().enumerate() {
            if columns[..i].contains(name) {
                return Err(ScoreError::DuplicateColumn(name.clone()));
            }
        }
        if let Some((row, values)) = rows
            .iter()
            .enumerate()
            .find(|(_, values)| values.len() != columns.len())
        {
            return Err(ScoreError::RaggedRow {
                row,
                expected: columns.len(),
                found: values.len(),
            });
        }
        Ok(Frame { columns, rows })
    }

    /// Column names in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the frame has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Position of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The values of row `i` in column order.
    pub fn row_values(&self, i: usize) -> Option<&[Value]> {
        self.rows.get(i).map(Vec::as_slice)
    }

    /// Row `i` as a [`Row`] addressed by column name.
    pub fn row(&self, i: usize) -> Option<FrameRow<'_>> {
        self.rows.get(i).map(|values| FrameRow {
            columns: &self.columns,
            values,
        })
    }

    /// Every row as a [`Row`], in order.
    pub fn iter(&self) -> impl Iterator<Item = FrameRow<'_>> {
        self.rows.iter().map(|values| FrameRow {
            columns: &self.columns,
            values,
        })
    }

    /// A new frame holding the rows at `indices`, in that order.
    pub fn select_rows(&self, indices: &[usize]) -> Frame {
        Frame {
            columns: self.columns.clone(),
            rows: indices
                .iter()
                .filter_map(|&i| self.rows.get(i).cloned())
                .collect(),
        }
    }

    /// A copy in which row `i` of column `column` holds row `order[i]`'s
    /// value, the other columns untouched (with `order` a permutation, one
    /// column shuffled, as permutation importance needs). Rows past the end
    /// of `order`, or whose entry is out of range, keep their own value.
    pub fn with_column_permuted(&self, column: usize, order: &[usize]) -> Frame {
        let mut rows = self.rows.clone();
        for (row, &from) in rows.iter_mut().zip(order) {
            if let (Some(cell), Some(value)) = (
                row.get_mut(column),
                self.rows.get(from).and_then(|r| r.get(column)),
            ) {
                *cell = value.clone();
            }
        }
        Frame {
            columns: self.columns.clone(),
            rows,
        }
    }

    /// Appends columns computed per row (for instance behaviour features joined by customer id).
    pub fn append_columns(
        &mut self,
        names: &[String],
        mut values_for_row: impl FnMut(usize) -> Vec<Value>,
    ) -> Result<(), ScoreError> {
        for name in names {
            if self.columns.contains(name) || names.iter().filter(|n| *n == name).count() > 1 {
                return Err(ScoreError::DuplicateColumn(name.clone()));
            }
        }
        for (i, row) in self.rows.iter_mut().enumerate() {
            let mut extra = values_for_row(i);
            extra.resize(names.len(), Value::Missing);
            row.extend(extra);
        }
        self.columns.extend(names.iter().cloned());
        Ok(())
    }
}

/// A borrowed row of a [`Frame`].
#[derive(Debug, Clone, Copy)]
pub struct FrameRow<'a> {
    columns: &'a [String],
    values: &'a [Value],
}

impl Row for FrameRow<'_> {
    fn get(&self, column: &str) -> Option<&Value> {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| self.values.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_column_is_permuted_and_the_others_stay() {
        let rows = (0..3)
            .map(|i| vec![Value::Number(i as f64), Value::Text(format!("r{i}"))])
            .collect();
        let frame = Frame::new(vec!["x".into(), "id".into()], rows).unwrap();
        let permuted = frame.with_column_permuted(0, &[2, 0, 1]);
        let x: Vec<&Value> = (0..3)
            .map(|i| &permuted.row_values(i).unwrap()[0])
            .collect();
        assert_eq!(
            x,
            [
                &Value::Number(2.0),
                &Value::Number(0.0),
                &Value::Number(1.0)
            ]
        );
        let ids: Vec<String> = permuted
            .iter()
            .map(|r| r.get("id").unwrap().to_string())
            .collect();
        assert_eq!(ids, ["r0", "r1", "r2"]);
        // A short or out-of-range order leaves rows alone; so does an unknown column.
        assert_eq!(frame.with_column_permuted(0, &[9]), frame);
        assert_eq!(frame.with_column_permuted(5, &[2, 0, 1]), frame);
    }
}
