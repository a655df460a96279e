//! `field=COL[:format]` mappings from CSV columns to resource fields.

use rapport_core::dates::DateFormat;
use rapport_core::table::Table;

/// One mapped field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    /// Target field (`attr:NAME` for an attribute).
    pub field: String,
    /// Column spec: header name or 0-based number.
    pub column: String,
    /// Date format for time fields.
    pub format: DateFormat,
}

/// A whole mapping, plus options that presets set.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub fields: Vec<FieldMap>,
    /// Unmapped columns become attributes.
    pub rest_as_attributes: bool,
    /// 0/1 flag columns (first, last, names) whose set flags become tags,
    /// the first one also the category.
    pub tag_flags: Option<(usize, Vec<String>)>,
}

impl Mapping {
    /// Parses `field=COL[:format],...`.
    pub fn parse(spec: &str) -> Result<Self, anyhow::Error> {
        let mut fields = Vec::new();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("mapping `{pair}` is not field=COLUMN"))?;
            let (column, format) = match column.rsplit_once(':') {
                Some((col, fmt)) if fmt.parse::<DateFormat>().is_ok() => {
                    (col, fmt.parse::<DateFormat>().map_err(anyhow::Error::msg)?)
                }
                _ => (column, DateFormat::Auto),
            };
            fields.push(FieldMap {
                field: field.trim().to_owned(),
                column: column.trim().to_owned(),
                format,
            });
        }
        Ok(Self {
            fields,
            ..Self::default()
        })
    }

    /// The mapping resolved against a table's columns.
    pub fn resolve(&self, table: &Table, known: &[&str]) -> Result<Resolved, anyhow::Error> {
        let mut fields = Vec::new();
        let mut attributes = Vec::new();
        for f in &self.fields {
            let index = table.column(&f.column)?;
            match f.field.strip_prefix("attr:") {
                Some(name) => attributes.push((name.to_owned(), index)),
                None if known.contains(&f.field.as_str()) => {
                    fields.push((f.field.clone(), index, f.format, f.column.clone()))
                }
                None => anyhow::bail!(
                    "unknown field `{}` (fields: {}, attr:NAME)",
                    f.field,
                    known.join(", ")
                ),
            }
        }
        if self.rest_as_attributes {
            let used: Vec<usize> = fields
                .iter()
                .map(|f| f.1)
                .chain(attributes.iter().map(|a| a.1))
                .collect();
            for index in (0..table.width).filter(|i| !used.contains(i)) {
                let name = table
                    .header
                    .as_ref()
                    .and_then(|h| h.get(index).cloned())
                    .unwrap_or_else(|| format!("column_{index}"));
                attributes.push((name, index));
            }
        }
        Ok(Resolved {
            fields,
            attributes,
            tag_flags: self.tag_flags.clone(),
        })
    }
}

/// A mapping with column indices.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Field, column index, date format and the column as the mapping names it.
    fields: Vec<(String, usize, DateFormat, String)>,
    pub attributes: Vec<(String, usize)>,
    pub tag_flags: Option<(usize, Vec<String>)>,
}

impl Resolved {
    /// Column and format of `field`, when mapped.
    pub fn field(&self, field: &str) -> Option<(usize, DateFormat)> {
        self.fields
            .iter()
            .find(|f| f.0 == field)
            .map(|f| (f.1, f.2))
    }

    /// `field is empty (column C)`, naming the column as the mapping did, for
    /// a required field with an empty cell.
    pub fn empty(&self, field: &str) -> String {
        match self.fields.iter().find(|f| f.0 == field) {
            Some(f) => format!("{field} is empty (column {})", f.3),
            None => format!("{field} is not mapped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_attributes_and_formats() {
        let m = Mapping::parse("customer=0, item=1 ,occurred_at=3:unix,attr:age=Age").unwrap();
        assert_eq!(m.fields.len(), 4);
        assert_eq!(m.fields[2].column, "3");
        assert_eq!(m.fields[2].format, DateFormat::Unix);
        assert_eq!(m.fields[3].field, "attr:age");
        assert!(Mapping::parse("customer").is_err());
        // A colon that is not a date format stays in the column name.
        let m = Mapping::parse("name=Full:Name").unwrap();
        assert_eq!(m.fields[0].column, "Full:Name");
    }
}
