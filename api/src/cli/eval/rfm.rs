//! The interactions file of `rapport eval segments --rfm`: `--map
//! customer=COL,occurred_at=COL[:FORMAT][,value=COL][,basket=COL][,kind=COL]`
//! read into RFM records, keeping only the rows of the counted kinds when a
//! kind column is mapped.

use rapport_core::dates::parse_timestamp;
use rapport_core::table::{Row, RowError, Table};
use rapport_segments::RfmRecord;

use super::EvalError;
use super::load::skip;
use crate::cli::files::{Fields, Mapping, MappingError, Resolved};

/// Fields of an interactions file read for RFM.
const RFM_FIELDS: Fields = Fields {
    names: &["customer", "occurred_at", "value", "basket", "kind"],
    attributes: false,
};

/// A checked `--map` of an RFM interactions file.
#[derive(Debug, Clone)]
pub struct RfmMap(Mapping);

impl RfmMap {
    /// Parses and checks the mapping: `customer` and `occurred_at` are required.
    pub fn parse(spec: &str) -> Result<Self, MappingError> {
        let mapping = Mapping::parse(spec)?;
        mapping.check(&RFM_FIELDS, &["customer", "occurred_at"])?;
        Ok(Self(mapping))
    }
}

/// The records of `table` whose kind (when mapped) is one of `kinds`, with
/// the rows that could not be read skipped and returned, or refused when `strict`.
pub fn records(
    table: &Table,
    map: &RfmMap,
    kinds: &[String],
    strict: bool,
) -> Result<(Vec<RfmRecord<String>>, Vec<RowError>), EvalError> {
    let columns = map.0.resolve(table, &RFM_FIELDS)?;
    let mut skipped = table.skipped.clone();
    let mut records = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        if let Some((c, _)) = columns.field("kind")
            && !kinds.iter().any(|k| k == row.get(c).trim())
        {
            continue;
        }
        match record(row, &columns) {
            Ok(r) => records.push(r),
            Err(message) => skip(
                &mut skipped,
                RowError {
                    line: row.line,
                    message,
                },
                strict,
            )?,
        }
    }
    Ok((records, skipped))
}

fn record(row: &Row, map: &Resolved) -> Result<RfmRecord<String>, String> {
    let cell = |field: &str| map.field(field).map(|(c, f)| (row.get(c).trim(), f));
    let customer = match cell("customer") {
        Some((id, _)) if !id.is_empty() => id.to_owned(),
        _ => return Err(map.empty("customer")),
    };
    let occurred_at = match cell("occurred_at") {
        Some((text, format)) if !text.is_empty() => parse_timestamp(text, format)?,
        _ => return Err(map.empty("occurred_at")),
    };
    let value = match cell("value") {
        Some((text, _)) if !text.is_empty() => {
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("value `{text}` is not a number"))?
        }
        _ => 0.0,
    };
    let basket = cell("basket")
        .map(|(b, _)| b.to_owned())
        .filter(|b| !b.is_empty());
    Ok(RfmRecord {
        customer,
        occurred_at,
        value,
        basket,
    })
}

#[cfg(test)]
mod tests {
    use rapport_core::table::{TableOptions, read_table};

    use super::*;

    fn table(text: &str) -> Table {
        read_table(text.as_bytes(), &TableOptions::default()).unwrap()
    }

    #[test]
    fn rows_of_other_kinds_are_left_out_and_bad_rows_named() {
        let t = table(
            "who,when,amount,order,what\n\
             a,2024-01-01,10,o1,purchase\n\
             a,2024-01-02,5,,view\n\
             b,not a date,3,,purchase\n\
             b,2024-01-03,,o2,purchase\n",
        );
        let map =
            RfmMap::parse("customer=who,occurred_at=when,value=amount,basket=order,kind=what")
                .unwrap();
        let purchases = ["purchase".to_owned()];
        let (read, skipped) = records(&t, &map, &purchases, false).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].customer, "a");
        assert_eq!(read[0].value, 10.0);
        assert_eq!(read[0].basket.as_deref(), Some("o1"));
        assert_eq!(read[1].value, 0.0, "a blank value counts 0");
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].line, 4);
        assert!(records(&t, &map, &purchases, true).is_err());
    }

    #[test]
    fn customer_and_time_are_required() {
        assert!(RfmMap::parse("customer=a").is_err());
        assert!(RfmMap::parse("customer=a,occurred_at=b").is_ok());
    }
}
