//! Sign-in hardening: attempts counted before the password is checked,
//! bounded credentials, token responses kept out of caches.

use futures_util::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, error_fields, expect_problem, expect_status, spawn_app,
    spawn_app_with,
};

async fn parallel_guesses_get_no_more_than_the_limit(backend: Backend) {
    let app = spawn_app_with(backend, &["--login-max-failures", "3"]).await;
    let guesses = (0..30).map(|n| {
        let app = &app;
        async move {
            app.try_login(ADMIN_EMAIL, &format!("wrong guess number {n}"))
                .await
        }
    });
    let mut statuses: Vec<u16> = join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    statuses.sort();
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(unauthorized <= 3, "{statuses:?}");
    assert!(unauthorized >= 1, "{statuses:?}");
    assert_eq!(unauthorized + limited, 30, "{statuses:?}");
    expect_problem(
        app.try_login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
}

async fn oversized_credentials_are_refused_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let long_email = format!("{}@example.com", "a".repeat(300));
    let problem = expect_problem(
        app.try_login(&long_email, "whatever it is").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["email"]);
    let problem = expect_problem(
        app.try_login(ADMIN_EMAIL, &"p".repeat(10_000)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&problem), ["password"]);
    let db = app.db().await;
    let attempts = rapport_api::entities::login_attempt::Entity::find()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(attempts, 0, "no failed-login row for a refused request");
    assert_eq!(app.count("/audit-log?action=auth.login_failed").await, 0);
}

async fn token_responses_are_not_cached(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.try_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let session = expect_status(response, 200).await;
    let refreshed = app
        .refresh(session["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(refreshed.headers()["cache-control"], "no-store");
    expect_status(refreshed, 200).await;
}

crate::on_every_backend!(
    parallel_guesses_get_no_more_than_the_limit,
    oversized_credentials_are_refused_and_nothing_is_stored,
    token_responses_are_not_cached,
);
