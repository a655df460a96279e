//! Model report pages, rendered in a real headless Chromium (Debian's
//! `chromium`): the page loads offline with nothing to fetch, holds the
//! expected charts, and its screenshot is not blank.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::{Backend, TestApp, spawn_trained};

/// The Chromium binary, or `None` (the test then says it is skipped, unless
/// `RAPPORT_REQUIRE_CHROMIUM` is set, as `.ci/run` does).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| {
            std::env::var_os("PATH")
                .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(move |dir| dir.join(name))
        })
        .find(|path| path.is_file());
    if found.is_none() && std::env::var_os("RAPPORT_REQUIRE_CHROMIUM").is_some() {
        panic!("RAPPORT_REQUIRE_CHROMIUM is set but no chromium is on PATH");
    }
    found
}

/// Runs headless Chromium on `page` with every host unresolvable, so that
/// a page that needed anything from the network would show it; returns
/// standard output.
fn headless(browser: &Path, profile: &Path, page: &Path, extra: &[&str]) -> String {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,2600",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(output.status.success(), "chromium failed: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Fetches a model's report page through the API, asserting an HTML 200.
async fn report_page(app: &TestApp, model_id: &str) -> String {
    let response = app.get(&format!("/models/{model_id}/report")).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    response.text().await.unwrap()
}

async fn model_reports_render_in_a_headless_browser(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let figures = app
        .fetch(&format!("/models/{}/report.json", trained.logistic))
        .await;
    assert_eq!(figures["id"], trained.logistic.as_str());
    assert!(
        figures["metrics"]["calibration"]["method"].is_string(),
        "{figures}"
    );

    let scorer = report_page(&app, &trained.logistic).await;
    let recommender = report_page(&app, &trained.item_item).await;
    for html in [&scorer, &recommender] {
        assert!(html.starts_with("<!DOCTYPE html>"), "{html:.80}");
        assert!(!html.contains("<script"), "a report page runs no script");
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
    let Some(browser) = chromium() else {
        eprintln!("skipped the browser part: no chromium on PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, html: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, html).unwrap();
        path
    };
    let pages = [
        (write("scorer.html", &scorer), 7),
        (write("recommender.html", &recommender), 2),
    ];
    let blank = write("blank.html", "<!DOCTYPE html><html><body></body></html>");
    let browser_dir = dir.path().join("profile");
    let shot = |page: &Path, name: &str| -> u64 {
        let png = dir.path().join(name);
        headless(
            &browser,
            &browser_dir,
            page,
            &[&format!("--screenshot={}", png.display())],
        );
        std::fs::metadata(&png).map(|m| m.len()).unwrap()
    };
    let blank_bytes = shot(&blank, "blank.png");
    for (page, charts) in &pages {
        let dom = headless(&browser, &browser_dir, page, &["--dump-dom"]);
        assert_eq!(dom.matches("<svg").count(), *charts, "{}", page.display());
        assert!(
            !dom.contains(" src=") && !dom.contains("<link"),
            "nothing to load"
        );
        let png = shot(page, "page.png");
        assert!(
            png > 5 * blank_bytes,
            "the screenshot of {} looks blank: {png} bytes, blank page {blank_bytes}",
            page.display()
        );
    }
}

crate::on_every_backend!(model_reports_render_in_a_headless_browser);
