//! A general CSV reader for imported files: `,` `;` tab or `|` separated
//! (detected or given), with or without a header, quoted fields, invalid
//! UTF-8 read as latin-1 (Windows-1252), rows carrying their line numbers and
//! malformed rows skipped and reported, or refused in strict mode.

use std::fmt;
use std::path::Path;

use thiserror::Error;

/// Separators tried by detection, in order of preference on equal counts.
const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];

/// How to read a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Field separator; `None` detects it from the first line.
    pub separator: Option<u8>,
    /// Whether the first row names the columns.
    pub has_header: bool,
    /// Refuse the whole file at the first malformed row instead of skipping it.
    pub strict: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        Self {
            separator: None,
            has_header: true,
            strict: false,
        }
    }
}

/// One data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number where the row starts.
    pub line: u64,
    /// The fields, trimmed of surrounding whitespace.
    pub fields: Vec<String>,
}

impl Row {
    /// The field at `column`, or `""` when the row is shorter.
    pub fn get(&self, column: usize) -> &str {
        self.fields.get(column).map(String::as_str).unwrap_or("")
    }
}

/// A row that could not be used, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why a table could not be read.
#[derive(Debug, Error)]
pub enum TableError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A malformed row in strict mode.
    #[error("malformed row at {0}")]
    Malformed(RowError),
    /// A column named neither by a header nor by a valid number.
    #[error("unknown column `{spec}` (columns: {available})")]
    UnknownColumn {
        /// The column as asked.
        spec: String,
        /// The header names, or the valid numbers.
        available: String,
    },
}

/// A parsed table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names when the file had a header.
    pub header: Option<Vec<String>>,
    /// The well-formed data rows.
    pub rows: Vec<Row>,
    /// Rows that were skipped, with the reason.
    pub skipped: Vec<RowError>,
    /// The separator used.
    pub separator: u8,
    /// Number of fields every row has.
    pub width: usize,
}

impl Table {
    /// The 0-based index of a column given by header name (exact, then
    /// case-insensitive) or by 0-based number.
    pub fn column(&self, spec: &str) -> Result<usize, TableError> {
        let spec = spec.trim();
        if let Some(header) = &self.header {
            if let Some(i) = header.iter().position(|h| h == spec) {
                return Ok(i);
            }
            if let Some(i) = header.iter().position(|h| h.eq_ignore_ascii_case(spec)) {
                return Ok(i);
            }
        }
        match spec.parse::<usize>() {
            Ok(i) if i < self.width => Ok(i),
            _ => Err(TableError::UnknownColumn {
                spec: spec.to_owned(),
                available: match &self.header {
                    Some(h) => h.join(", "),
                    None => format!("0 to {}", self.width.saturating_sub(1)),
                },
            }),
        }
    }
}

/// Reads a table from a file.
pub fn read_table_file(path: &Path, options: &TableOptions) -> Result<Table, TableError> {
    let bytes = std::fs::read(path).map_err(|source| TableError::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_table(&bytes, options)
}

/// Reads a table from bytes.
pub fn read_table(bytes: &[u8], options: &TableOptions) -> Result<Table, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let separator = options.separator.unwrap_or_else(|| detect_separator(bytes));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut table = Table {
        header: None,
        rows: Vec::new(),
        skipped: Vec::new(),
        separator,
        width: 0,
    };
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(line);
                let fields: Vec<String> = record.iter().map(decode).collect();
                if first {
                    first = false;
                    table.width = fields.len();
                    if options.has_header {
                        table.header = Some(fields);
                        continue;
                    }
                }
                if fields.len() == table.width {
                    table.rows.push(Row { line, fields });
                } else {
                    let problem = RowError {
                        line,
                        message: format!(
                            "{} fields where {} were expected",
                            fields.len(),
                            table.width
                        ),
                    };
                    reject(&mut table, problem, options.strict)?;
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(line);
                let problem = RowError {
                    line,
                    message: e.to_string(),
                };
                reject(&mut table, problem, options.strict)?;
            }
        }
    }
    Ok(table)
}

fn reject(table: &mut Table, problem: RowError, strict: bool) -> Result<(), TableError> {
    if strict {
        return Err(TableError::Malformed(problem));
    }
    table.skipped.push(problem);
    Ok(())
}

/// UTF-8 when valid, else latin-1 (as Windows-1252, its superset on the web).
fn decode(field: &[u8]) -> String {
    match std::str::from_utf8(field) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(field)
            .0
            .into_owned(),
    }
}

/// The candidate separator occurring most often outside quotes on the first line.
pub fn detect_separator(bytes: &[u8]) -> u8 {
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let mut counts = [0usize; CANDIDATES.len()];
    let mut quoted = false;
    for b in first_line {
        if *b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = CANDIDATES.iter().position(|c| c == b) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..CANDIDATES.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    CANDIDATES[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8], options: TableOptions) -> Table {
        read_table(text, &options).unwrap()
    }

    #[test]
    fn detects_separators() {
        assert_eq!(detect_separator(b"a,b,c\n"), b',');
        assert_eq!(detect_separator(b"a;b;c\n1,5;2;3"), b';');
        assert_eq!(detect_separator(b"1\t2\t3\t4\n"), b'\t');
        assert_eq!(detect_separator(b"1|Toy Story|x\n"), b'|');
        assert_eq!(detect_separator(b"\"a;b\",c\n"), b',');
        assert_eq!(detect_separator(b"single\n"), b',');
    }

    #[test]
    fn header_columns_by_name_or_number() {
        let t = read(
            b"customer;item;when\nc1;i1;2024-01-01\nc2;i2;2024-01-02\n",
            TableOptions::default(),
        );
        assert_eq!(t.separator, b';');
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.column("item").unwrap(), 1);
        assert_eq!(t.column("WHEN").unwrap(), 2);
        assert_eq!(t.column("0").unwrap(), 0);
        assert!(matches!(
            t.column("price"),
            Err(TableError::UnknownColumn { .. })
        ));
        assert!(t.column("3").is_err());
        assert_eq!(t.rows[1].line, 3);
        assert_eq!(t.rows[1].get(0), "c2");
    }

    #[test]
    fn no_header_quotes_and_latin1() {
        let t = read(
            b"1\t\"Caf\xe9, \"\"the\"\" place\"\t5\n2\tplain\t4\n",
            TableOptions {
                has_header: false,
                ..Default::default()
            },
        );
        assert!(t.header.is_none());
        assert_eq!(t.width, 3);
        assert_eq!(t.rows[0].fields[1], "Café, \"the\" place");
        assert_eq!(t.rows[0].line, 1);
        assert_eq!(t.rows[1].fields, vec!["2", "plain", "4"]);
    }

    #[test]
    fn malformed_rows_are_skipped_with_their_line_or_refused() {
        let text = b"a,b\n1,2\n3\n4,5,6\n7,8\n";
        let t = read(text, TableOptions::default());
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 5);
        let lines: Vec<u64> = t.skipped.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert_eq!(
            t.skipped[0].to_string(),
            "line 3: 1 fields where 2 were expected"
        );
        let strict = TableOptions {
            strict: true,
            ..Default::default()
        };
        match read_table(text, &strict) {
            Err(TableError::Malformed(e)) => assert_eq!(e.line, 3),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn given_separator_bom_and_multiline_quotes() {
        let t = read(
            b"\xEF\xBB\xBFid|note\n1|\"two\nlines\"\n2|x\n",
            TableOptions {
                separator: Some(b'|'),
                ..Default::default()
            },
        );
        assert_eq!(t.header, Some(vec!["id".to_owned(), "note".to_owned()]));
        assert_eq!(t.rows[0].fields[1], "two\nlines");
        assert_eq!(t.rows[1].line, 4);
    }

    #[test]
    fn empty_input_and_missing_file() {
        let t = read(b"", TableOptions::default());
        assert!(t.rows.is_empty() && t.header.is_none());
        let missing = read_table_file(Path::new("/nonexistent/x.csv"), &TableOptions::default());
        assert!(matches!(missing, Err(TableError::Io { .. })));
    }
}
