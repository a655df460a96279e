//! HTML text: escaping, number formatting, tables and the note left where a
//! figure or value is missing.

use std::fmt::Write;

use serde_json::Value;

/// Shown in place of a missing or non-numeric value.
pub const NOT_AVAILABLE: &str = "not available";

/// `text` safe inside HTML or SVG text and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A number for reading: whole numbers without decimals, others with at most
/// four.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// A JSON scalar as text: numbers by [`number`], booleans as yes or no;
/// `None` for null, arrays and objects.
pub fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_f64().map(number),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_owned()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A paragraph saying that `what` is not available.
pub fn missing(what: &str) -> String {
    format!("<p class=\"na\">{}: {NOT_AVAILABLE}.</p>", escape(what))
}

/// A table of text cells (escaped when rendered); rows may be marked.
#[derive(Debug, Clone, Default)]
pub struct Table {
    head: Vec<String>,
    rows: Vec<(Vec<String>, bool)>,
}

impl Table {
    /// A table with these column headings.
    pub fn new(head: &[&str]) -> Self {
        Self {
            head: head.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; `marked` rows stand out (flagged groups).
    pub fn row(&mut self, cells: Vec<String>, marked: bool) {
        self.rows.push((cells, marked));
    }

    /// Adds a two-column row: `label`, and `value` or "not available".
    pub fn pair(&mut self, label: &str, value: Option<String>) {
        let value = value.unwrap_or_else(|| NOT_AVAILABLE.to_owned());
        self.row(vec![label.to_owned(), value], false);
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `<table>` element, with `caption` if not empty.
    pub fn render(&self, caption: &str) -> String {
        let mut out = String::from("<table>");
        if !caption.is_empty() {
            let _ = write!(out, "<caption>{}</caption>", escape(caption));
        }
        if self.head.iter().any(|h| !h.is_empty()) {
            out.push_str("<thead><tr>");
            for h in &self.head {
                let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
            }
            out.push_str("</tr></thead>");
        }
        out.push_str("<tbody>");
        for (cells, marked) in &self.rows {
            out.push_str(if *marked {
                "<tr class=\"flagged\">"
            } else {
                "<tr>"
            });
            for c in cells {
                let class = if c == NOT_AVAILABLE {
                    " class=\"na\""
                } else {
                    ""
                };
                let _ = write!(out, "<td{class}>{}</td>", escape(c));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn numbers_and_scalars() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.812_345_6), "0.8123");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(-0.000_01), "0");
        assert_eq!(scalar(&json!(true)).as_deref(), Some("yes"));
        assert_eq!(scalar(&json!(null)), None);
        assert_eq!(scalar(&json!([1])), None);
    }

    #[test]
    fn tables_escape_cells_and_mark_rows() {
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["<i>".into(), "1".into()], true);
        t.pair("c", None);
        let html = t.render("cap");
        assert!(html.contains("<caption>cap</caption>"));
        assert!(html.contains("<tr class=\"flagged\"><td>&lt;i&gt;</td><td>1</td></tr>"));
        assert!(html.contains("<td class=\"na\">not available</td>"));
    }
}
