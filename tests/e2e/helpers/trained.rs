//! `spawn_trained()`: the service on a database where the catalogue of
//! [`TestApp::seed_catalogue`] is seeded and an `item_item`, a `popularity`
//! and a `logistic` model are trained and active.
//!
//! Training through the API takes seconds (the job runner polls once a
//! second), so the trained database is built once per backend and test run,
//! like any test would build it, and each test starts on a copy of it
//! (`template.rs`). Tests change their copy freely.

use std::sync::OnceLock;

use serde_json::json;

use super::app::{Backend, TestApp, spawn_app, start};
use super::models::Catalogue;
use super::template::{Template, build_apart};

/// What a trained database holds.
#[derive(Debug, Clone)]
pub struct Trained {
    pub catalogue: Catalogue,
    /// `item_item` with 20 neighbours, active.
    pub item_item: String,
    /// `popularity` with its defaults, active.
    pub popularity: String,
    /// `logistic` on the label `churn=Yes` with `c` = 1, active.
    pub logistic: String,
}

/// Starts the service on a fresh copy of the trained database.
pub async fn spawn_trained(backend: Backend) -> (TestApp, Trained) {
    spawn_trained_with(backend, &[]).await
}

/// [`spawn_trained`], with extra service flags.
pub async fn spawn_trained_with(backend: Backend, flags: &[&str]) -> (TestApp, Trained) {
    static SQLITE: OnceLock<(Template, Trained)> = OnceLock::new();
    static POSTGRES: OnceLock<(Template, Trained)> = OnceLock::new();
    let cell = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    let (template, trained) = cell.get_or_init(|| build(backend));
    let (url, dir) = template.copy().await;
    (start(url, dir, flags).await, trained.clone())
}

/// Trains on a service of its own, then makes the template: of the file
/// while the service runs (SQLite), or of the database once the service is
/// gone (PostgreSQL).
fn build(backend: Backend) -> (Template, Trained) {
    let (built, trained) = build_apart(async move {
        let (app, trained) = train_everything(backend).await;
        let built = match backend {
            Backend::Sqlite => Ok(Template::of(backend, &app.database_url).await),
            Backend::Postgres => Err(app.database_url.clone()),
        };
        (built, trained)
    });
    let template = match built {
        Ok(template) => template,
        Err(url) => build_apart(async move { Template::of(backend, &url).await }),
    };
    (template, trained)
}

/// Seeds the catalogue and trains the three models at once (the job runner
/// takes them one after the other without waiting in between).
async fn train_everything(backend: Backend) -> (TestApp, Trained) {
    let app = spawn_app(backend).await;
    let catalogue = app.seed_catalogue().await;
    let engines = [
        ("item_item", json!({"neighbours": 20})),
        ("popularity", json!({})),
        ("logistic", json!({"label": "churn=Yes", "c": 1.0})),
    ];
    let mut jobs = Vec::new();
    for (engine, params) in engines {
        jobs.push(app.queue_training(engine, &json!({"params": params})).await);
    }
    let mut models = Vec::new();
    for job in &jobs {
        let finished = app.wait_for_job(job).await;
        let model = finished["model_id"].as_str().expect("model_id").to_owned();
        app.activate_model(&model).await;
        models.push(model);
    }
    assert_eq!(app.count("/models?active=true").await, 3);
    let [item_item, popularity, logistic] = <[String; 3]>::try_from(models).expect("three models");
    let trained = Trained {
        catalogue,
        item_item,
        popularity,
        logistic,
    };
    (app, trained)
}
