//! CSV files named on the command line, as `rapport import` and `rapport
//! eval` both read them: the `--separator`, `--no-header` and `--strict`
//! options, and `--map field=COL[:format],...` mappings from columns to fields.

use clap::Args;
use rapport_core::dates::DateFormat;
use rapport_core::table::{Table, TableError, TableOptions};

/// How to read the files: separator, header, strictness.
#[derive(Debug, Clone, Args)]
pub struct CsvArgs {
    /// Field separator: `,` `;` `tab` or `|` (detected when absent).
    #[arg(long, value_name = "SEP", value_parser = parse_separator)]
    pub separator: Option<u8>,
    /// The files have no header row: columns are 0-based numbers.
    #[arg(long)]
    pub no_header: bool,
    /// Refuse a file at its first bad row instead of skipping the row.
    #[arg(long)]
    pub strict: bool,
}

impl CsvArgs {
    /// The table reader's options.
    pub fn options(&self) -> TableOptions {
        TableOptions {
            separator: self.separator,
            has_header: !self.no_header,
            strict: self.strict,
        }
    }
}

/// A `--separator` value: `,` `;` `|` or tab, by character or by name.
pub fn parse_separator(s: &str) -> Result<u8, String> {
    match s {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "tab" | "\\t" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        _ => Err(format!("`{s}` is not one of `,` `;` tab `|`")),
    }
}

/// Why a mapping was refused.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// A part without `=`.
    #[error("mapping `{0}` is not field=COLUMN")]
    NotAPair(String),
    /// A field given twice.
    #[error("field `{0}` mapped twice")]
    Twice(String),
    /// A field this kind of file does not have.
    #[error("unknown field `{field}` (fields: {known})")]
    UnknownField {
        /// The field as given.
        field: String,
        /// The fields there are.
        known: String,
    },
    /// A required field that is not mapped.
    #[error("the mapping needs {0}=COLUMN")]
    Missing(&'static str),
    /// A field whose value is not what it should be.
    #[error("{field}=`{value}`: {message}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// Its value as given.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A column the file does not have.
    #[error(transparent)]
    Column(#[from] TableError),
}

/// The fields a kind of file can map.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Field names.
    pub names: &'static [&'static str],
    /// Whether `attr:NAME` maps a column to the attribute NAME.
    pub attributes: bool,
}

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
    /// Parses `field=COL[:format],...`; a `:suffix` that is not a date format
    /// stays part of the column name.
    pub fn parse(spec: &str) -> Result<Self, MappingError> {
        let mut fields: Vec<FieldMap> = Vec::new();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, column) = pair
                .split_once('=')
                .ok_or_else(|| MappingError::NotAPair(pair.to_owned()))?;
            let (column, format) = match column.rsplit_once(':') {
                Some((col, fmt)) => match fmt.parse::<DateFormat>() {
                    Ok(format) => (col, format),
                    Err(_) => (column, DateFormat::Auto),
                },
                None => (column, DateFormat::Auto),
            };
            let field = field.trim().to_owned();
            if fields.iter().any(|f| f.field == field) {
                return Err(MappingError::Twice(field));
            }
            fields.push(FieldMap {
                field,
                column: column.trim().to_owned(),
                format,
            });
        }
        Ok(Self {
            fields,
            ..Self::default()
        })
    }

    /// Refuses fields that `known` does not have, and a missing `required` one.
    pub fn check(&self, known: &Fields, required: &[&'static str]) -> Result<(), MappingError> {
        for f in &self.fields {
            let attribute = known.attributes && f.field.starts_with("attr:");
            if !attribute && !known.names.contains(&f.field.as_str()) {
                let mut names = known.names.join(", ");
                if known.attributes {
                    names.push_str(", attr:NAME");
                }
                return Err(MappingError::UnknownField {
                    field: f.field.clone(),
                    known: names,
                });
            }
        }
        match required.iter().find(|r| self.get(r).is_none()) {
            Some(missing) => Err(MappingError::Missing(missing)),
            None => Ok(()),
        }
    }

    /// The mapping of `field`, when given.
    pub fn get(&self, field: &str) -> Option<&FieldMap> {
        self.fields.iter().find(|f| f.field == field)
    }

    /// Takes `field` out of the mapping (for a field whose value is not a column).
    pub fn take(&mut self, field: &str) -> Option<FieldMap> {
        let index = self.fields.iter().position(|f| f.field == field)?;
        Some(self.fields.remove(index))
    }

    /// The mapping resolved against a table's columns, once checked against `known`.
    pub fn resolve(&self, table: &Table, known: &Fields) -> Result<Resolved, MappingError> {
        self.check(known, &[])?;
        let mut fields = Vec::new();
        let mut attributes = Vec::new();
        for f in &self.fields {
            let index = table.column(&f.column)?;
            match f.field.strip_prefix("attr:") {
                Some(name) => attributes.push((name.to_owned(), index)),
                None => fields.push((f.field.clone(), index, f.format, f.column.clone())),
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
    use rapport_core::table::read_table;

    const LOG: Fields = Fields {
        names: &["customer", "item", "occurred_at"],
        attributes: false,
    };

    #[test]
    fn parses_fields_attributes_and_formats() {
        let m = Mapping::parse("customer=0, item=1 ,occurred_at=3:unix,attr:age=Age").unwrap();
        assert_eq!(m.fields.len(), 4);
        assert_eq!(m.fields[2].column, "3");
        assert_eq!(m.fields[2].format, DateFormat::Unix);
        assert_eq!(m.fields[3].field, "attr:age");
        assert!(matches!(
            Mapping::parse("customer"),
            Err(MappingError::NotAPair(_))
        ));
        assert!(matches!(
            Mapping::parse("customer=0,customer=1"),
            Err(MappingError::Twice(_))
        ));
        // A colon that is not a date format stays in the column name.
        let m = Mapping::parse("name=Full:Name").unwrap();
        assert_eq!(m.fields[0].column, "Full:Name");
    }

    #[test]
    fn checks_fields_and_resolves_columns() {
        let m = Mapping::parse("customer=who,item=1,attr:age=2").unwrap();
        let err = m.check(&LOG, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown field `attr:age` (fields: customer, item, occurred_at)"
        );
        let m = Mapping::parse("customer=who,occurred_at=when:datetime").unwrap();
        let err = m.check(&LOG, &["customer", "item"]).unwrap_err();
        assert_eq!(err.to_string(), "the mapping needs item=COLUMN");
        let table = read_table(
            b"who,what,when\na,b,2024-01-01 10:00:00\n",
            &Default::default(),
        )
        .unwrap();
        let resolved = m.resolve(&table, &LOG).unwrap();
        assert_eq!(
            resolved.field("occurred_at"),
            Some((2, DateFormat::DateTime))
        );
        assert_eq!(resolved.empty("customer"), "customer is empty (column who)");
        let bad = Mapping::parse("customer=nope").unwrap();
        assert!(matches!(
            bad.resolve(&table, &LOG),
            Err(MappingError::Column(_))
        ));
    }

    #[test]
    fn separators_by_character_or_name() {
        for (given, byte) in [
            (",", b','),
            ("semicolon", b';'),
            ("tab", b'\t'),
            ("|", b'|'),
        ] {
            assert_eq!(parse_separator(given), Ok(byte));
        }
        assert!(parse_separator("x").is_err());
    }
}
