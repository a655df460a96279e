//! The layer rule, checked on the source: no module outside `http` imports
//! from it, and the domain and services use no web crate (the domain no
//! database crate either). Runs with `cargo test`, so CI enforces it.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Lines of `file` (outside its tests) that mention one of `banned`.
fn offending_lines(file: &Path, banned: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim_start();
            !line.starts_with("//") && banned.iter().any(|b| line.contains(b))
        })
        .map(|(n, line)| format!("{}:{}: {}", file.display(), n + 1, line.trim()))
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

const WEB: &[&str] = &[
    "actix_web",
    "actix_",
    "utoipa",
    "crate::http",
    "super::http",
];

#[test]
fn nothing_outside_http_imports_from_it() {
    let root = src();
    let http = root.join("http");
    let mut offences = Vec::new();
    for file in sources(&root) {
        if file.starts_with(&http) || file.ends_with("lib.rs") || file.ends_with("main.rs") {
            continue;
        }
        // The command line starts the server and prints the document: it
        // may name `http::startup` and `http::openapi`, nothing else.
        let lines = offending_lines(&file, &["crate::http"]);
        offences.extend(lines.into_iter().filter(|l| {
            !(l.contains("/cli/") && (l.contains("http::startup") || l.contains("http::openapi")))
        }));
    }
    assert!(
        offences.is_empty(),
        "imports from the HTTP layer:\n{}",
        offences.join("\n")
    );
}

#[test]
fn domain_and_services_use_no_web_crate() {
    let mut offences = Vec::new();
    for layer in ["domain", "services"] {
        for file in sources(&src().join(layer)) {
            offences.extend(offending_lines(&file, WEB));
        }
    }
    for file in sources(&src().join("domain")) {
        offences.extend(offending_lines(&file, &["sea_orm", "crate::entities"]));
    }
    assert!(
        offences.is_empty(),
        "layer rule broken:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_check_sees_an_offence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.rs");
    std::fs::write(
        &file,
        "use crate::http::error::ApiError;\n// use actix_web::web;\n",
    )
    .unwrap();
    assert_eq!(offending_lines(&file, WEB).len(), 1);
}
