//! Renders a report page from a model's JSON on standard input (as
//! `GET /models/{id}` returns it) to standard output:
//! `cargo run -p rapport-report --example render < model.json > report.html`.

use std::io::{Read, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let model: serde_json::Value = serde_json::from_str(&input)?;
    std::io::stdout().write_all(rapport_report::render_html(&model).as_bytes())?;
    Ok(())
}
