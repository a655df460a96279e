//! A general CSV reader for imported files: `,` `;` tab or `|` separated
//! (detected or given), with or without a header, quoted fields, invalid
//! UTF-8 read as latin-1 (Windows-1252), rows carrying their line numbers and
//! malformed rows skipped and reported, or refused in strict mode.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
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
    TableReader::open(path, options)?.read_all()
}

/// Reads a table from bytes.
pub fn read_table(bytes: &[u8], options: &TableOptions) -> Result<Table, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let separator = options.separator.unwrap_or_else(|| detect_separator(bytes));
    TableReader::new(bytes, separator, options).read_all()
}

/// Bytes of a file looked at to detect its separator.
const SNIFF: usize = 64 * 1024;

/// A table read a chunk of rows at a time, so a file of any size is read in
/// bounded memory: each chunk is a [`Table`] with the file's header,
/// separator and width, and the rows (and malformed rows) it covers.
pub struct TableReader<R: Read> {
    reader: csv::Reader<R>,
    options: TableOptions,
    separator: u8,
    header: Option<Vec<String>>,
    width: usize,
    /// The first data row of a file without a header, read to learn the width.
    pending: Option<Row>,
    record: csv::ByteRecord,
    done: bool,
}

impl TableReader<BufReader<File>> {
    /// Opens a file, skipping a UTF-8 byte order mark and detecting the
    /// separator from the first line unless one is given.
    pub fn open(path: &Path, options: &TableOptions) -> Result<Self, TableError> {
        let io = |source| TableError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = BufReader::with_capacity(SNIFF, File::open(path).map_err(io)?);
        let start = file.fill_buf().map_err(io)?;
        let bom = if start.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let separator = options
            .separator
            .unwrap_or_else(|| detect_separator(&start[bom..]));
        file.consume(bom);
        Ok(Self::new(file, separator, options))
    }
}

impl<R: Read> TableReader<R> {
    fn new(input: R, separator: u8, options: &TableOptions) -> Self {
        let reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        Self {
            reader,
            options: *options,
            separator,
            header: None,
            width: 0,
            pending: None,
            record: csv::ByteRecord::new(),
            done: false,
        }
    }

    /// An empty chunk with the file's header, separator and width.
    fn chunk(&self) -> Table {
        Table {
            header: self.header.clone(),
            rows: Vec::new(),
            skipped: Vec::new(),
            separator: self.separator,
            width: self.width,
        }
    }

    /// The next record as a row with its line, or a malformed one's error;
    /// `None` at the end. The first record sets the width (and is the header
    /// when the file has one).
    fn next_record(&mut self) -> Option<Result<Row, RowError>> {
        loop {
            let line = self.reader.position().line();
            let fields: Vec<String> = match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => self.record.iter().map(decode).collect(),
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(line);
                    let message = e.to_string();
                    return Some(Err(RowError { line, message }));
                }
            };
            let line = self.record.position().map(|p| p.line()).unwrap_or(line);
            if self.width == 0 && self.header.is_none() {
                self.width = fields.len();
                if self.options.has_header {
                    self.header = Some(fields);
                    continue;
                }
            }
            if fields.len() != self.width {
                let message = format!("{} fields where {} were expected", fields.len(), self.width);
                return Some(Err(RowError { line, message }));
            }
            return Some(Ok(Row { line, fields }));
        }
    }

    /// Reads the header (and, without one, the first row) so that the width
    /// and column names are known before the first chunk is handed out.
    fn start(&mut self) -> Result<Vec<RowError>, TableError> {
        let mut skipped = Vec::new();
        while self.width == 0 && !self.done {
            match self.next_record() {
                None => self.done = true,
                Some(Ok(row)) => self.pending = Some(row),
                Some(Err(problem)) => reject(&mut skipped, problem, self.options.strict)?,
            }
        }
        Ok(skipped)
    }

    /// Up to `max_rows` more well-formed rows (and the malformed rows met on
    /// the way); `None` once the file is exhausted.
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<Option<Table>, TableError> {
        let early = self.start()?;
        let mut table = self.chunk();
        table.skipped = early;
        table.rows.extend(self.pending.take());
        while table.rows.len() < max_rows.max(1) && !self.done {
            match self.next_record() {
                None => self.done = true,
                Some(Ok(row)) => table.rows.push(row),
                Some(Err(problem)) => reject(&mut table.skipped, problem, self.options.strict)?,
            }
        }
        let empty = table.rows.is_empty() && table.skipped.is_empty();
        Ok((!empty).then_some(table))
    }

    /// Bytes of the input read so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// Every remaining row as one table.
    pub fn read_all(mut self) -> Result<Table, TableError> {
        let mut all = match self.next_chunk(usize::MAX)? {
            Some(table) => table,
            None => self.chunk(),
        };
        while let Some(more) = self.next_chunk(usize::MAX)? {
            all.rows.extend(more.rows);
            all.skipped.extend(more.skipped);
        }
        Ok(all)
    }
}

fn reject(skipped: &mut Vec<RowError>, problem: RowError, strict: bool) -> Result<(), TableError> {
    if strict {
        return Err(TableError::Malformed(problem));
    }
    skipped.push(problem);
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
    fn chunks_cover_the_rows_once_with_the_header() {
        let text = b"a,b\n1,2\n3\n4,5\n6,7\n8,9\n";
        let mut reader = TableReader::new(&text[..], b',', &TableOptions::default());
        let mut lines = Vec::new();
        let mut skipped = Vec::new();
        while let Some(chunk) = reader.next_chunk(2).unwrap() {
            assert_eq!(chunk.header, Some(vec!["a".to_owned(), "b".to_owned()]));
            assert_eq!(chunk.width, 2);
            assert!(chunk.rows.len() <= 2);
            lines.extend(chunk.rows.iter().map(|r| r.line));
            skipped.extend(chunk.skipped.iter().map(|e| e.line));
        }
        assert_eq!(lines, vec![2, 4, 5, 6]);
        assert_eq!(skipped, vec![3]);
        let whole = read_table(text, &TableOptions::default()).unwrap();
        assert_eq!(whole.rows.iter().map(|r| r.line).collect::<Vec<_>>(), lines);
        let headless = TableOptions {
            has_header: false,
            ..Default::default()
        };
        let mut reader = TableReader::new(&b"1,2\n3,4\n"[..], b',', &headless);
        let first = reader.next_chunk(1).unwrap().unwrap();
        assert_eq!((first.width, first.rows[0].line), (2, 1));
        assert_eq!(reader.next_chunk(1).unwrap().unwrap().rows[0].line, 2);
        assert!(reader.next_chunk(1).unwrap().is_none());
    }

    #[test]
    fn empty_input_and_missing_file() {
        let t = read(b"", TableOptions::default());
        assert!(t.rows.is_empty() && t.header.is_none());
        let missing = read_table_file(Path::new("/nonexistent/x.csv"), &TableOptions::default());
        assert!(matches!(missing, Err(TableError::Io { .. })));
    }
}
