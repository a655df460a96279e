//! The page frame: the HTML5 document with its inline style sheet, the
//! header that names the model, and the sections and figures of the body.

use serde_json::Value;

use crate::html::{Table, escape, scalar};
use crate::json::{at, text};

/// The whole style sheet; the page loads nothing else.
const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:0.5rem 0 1rem}caption{text-align:left;font-weight:600;padding:0.25rem 0}\
th,td{border:1px solid #ddd;padding:0.25rem 0.6rem;text-align:left}td{font-variant-numeric:tabular-nums}\
tr.flagged td{background:#fde8e8}.na{color:#777;font-style:italic}\
figure{margin:1rem 0}figcaption{font-size:0.9rem;color:#555}\
svg.chart{max-width:100%;height:auto;font-size:11px;fill:#222}\
svg .grid{stroke:#eee}svg .axis{stroke:#444;fill:none}svg .axis-title{font-size:12px;font-weight:600}\
svg .reference{stroke:#999;stroke-dasharray:4 4}svg .whisker{stroke:#222;stroke-width:1.5}";

/// A complete HTML5 document titled `title` around `body`.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(title)
    )
}

/// A section under a second-level heading.
pub fn section(heading: &str, content: &str) -> String {
    format!("<section><h2>{}</h2>{content}</section>", escape(heading))
}

/// A chart with its caption.
pub fn figure(svg: &str, caption: &str) -> String {
    format!(
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    )
}

/// The heading and identity of the model (engine, kind, id, creation time,
/// whether active) and its training parameters.
pub fn header(model: &Value, kind: &str) -> String {
    let engine = text(model, &["engine"]).unwrap_or("unknown engine");
    let mut out = format!("<header><h1>{} {}</h1>", escape(engine), escape(kind));
    let mut identity = Table::new(&["", ""]);
    identity.pair("Engine", text(model, &["engine"]).map(str::to_owned));
    identity.pair("Kind", Some(kind.to_owned()));
    for (label, key) in [
        ("Model id", "id"),
        ("Created at", "created_at"),
        ("Active", "active"),
    ] {
        identity.pair(label, at(model, &[key]).and_then(scalar));
    }
    out.push_str(&identity.render("Model"));
    let mut params = Table::new(&["Parameter", "Value"]);
    if let Some(map) = at(model, &["params"]).and_then(Value::as_object) {
        for (name, value) in map {
            let shown = scalar(value).unwrap_or_else(|| value.to_string());
            params.row(vec![name.clone(), shown], false);
        }
    }
    if params.is_empty() {
        out.push_str("<p class=\"na\">Parameters: defaults (none given).</p>");
    } else {
        out.push_str(&params.render("Parameters"));
    }
    out.push_str("</header>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn document_is_self_contained() {
        let html = document("a <b>", "<p>x</p>");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>a &lt;b&gt;</title>"));
        assert!(!html.contains("http"), "no link of any kind");
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn header_lists_identity_and_params() {
        let model = json!({"engine": "als", "id": "m1", "active": false,
            "params": {"factors": 32, "<x>": [1, 2]}});
        let html = header(&model, "recommender");
        assert!(html.contains("<h1>als recommender</h1>"));
        assert!(html.contains("<td>Active</td><td>no</td>"));
        assert!(html.contains("<td>Created at</td><td class=\"na\">not available</td>"));
        assert!(html.contains("<td>factors</td><td>32</td>"));
        assert!(html.contains("<td>&lt;x&gt;</td><td>[1,2]</td>"));
        assert!(header(&json!({}), "model").contains("defaults (none given)"));
    }
}
