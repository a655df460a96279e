//! Sign-ins (refresh-token families) and their access tokens: signing out
//! or replaying a spent refresh token revokes the access tokens of the
//! sign-in too, not only its refresh tokens; a refresh token presented
//! twice at once (two tabs, a retry) gets the same pair within the grace
//! window instead of revoking the sign-in.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::Value;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, USER_PASSWORD, eventually, expect_problem,
    expect_status, spawn_app, spawn_app_with, spawn_replica,
};

fn field(session: &Value, name: &str) -> String {
    session[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {session}"))
        .to_owned()
}

/// `GET /me` with `token` is refused as revoked.
async fn revoked(app: &TestApp, token: &str) {
    let body = expect_problem(app.me_as(token).await, 401, "unauthorized").await;
    assert!(
        body["detail"].as_str().unwrap().contains("revoked"),
        "{body}"
    );
}

async fn signing_out_revokes_the_access_tokens_of_the_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = spawn_replica(&app).await;
    let session = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let access = field(&session, "access_token");
    let other = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let key = app.create_api_key("shop sync").await;
    let key = field(&key, "key");
    // Both replicas accept the token, and remember that its sign-in is live.
    expect_status(app.me_as(&access).await, 200).await;
    expect_status(replica.me_as(&access).await, 200).await;

    app.logout(&field(&session, "refresh_token")).await;
    // Refused at once by the replica that signed out, within the cache's
    // second by the other.
    revoked(&app, &access).await;
    eventually(
        "the other replica refuses the signed-out token",
        Duration::from_secs(3),
        async || replica.me_as(&access).await.status() == 401,
    )
    .await;
    // Another sign-in of the same user, and API keys, are not affected.
    expect_status(app.me_as(&field(&other, "access_token")).await, 200).await;
    expect_status(replica.get_as(&key, "/customers").await, 200).await;
    expect_status(app.refresh(&field(&other, "refresh_token")).await, 200).await;
}

async fn a_replayed_refresh_token_revokes_the_access_tokens_of_its_sign_in(backend: Backend) {
    let app = spawn_app_with(backend, &["--refresh-grace", "1"]).await;
    let first = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r1 = field(&first, "refresh_token");
    let second = expect_status(app.refresh(&r1).await, 200).await;
    let a2 = field(&second, "access_token");
    expect_status(app.me_as(&a2).await, 200).await;
    expect_status(app.me_as(&field(&first, "access_token")).await, 200).await;

    // Past the grace window the spent token is a replay: the sign-in is
    // revoked, its access tokens (old and new) with it.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    expect_problem(app.refresh(&r1).await, 401, "unauthorized").await;
    revoked(&app, &a2).await;
    revoked(&app, &field(&first, "access_token")).await;
    expect_problem(
        app.refresh(&field(&second, "refresh_token")).await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(app.audit("action=auth.refresh_reused").await.len(), 1);
    // The other sign-in lives on.
    expect_status(app.me_as(&field(&other, "access_token")).await, 200).await;
}

async fn concurrent_refreshes_with_one_token_get_the_same_pair(backend: Backend) {
    let app = spawn_app(backend).await;
    let sales = app.user("sales", None).await;
    for _ in 0..3 {
        let session = app.session(&sales.email, USER_PASSWORD).await;
        let r1 = field(&session, "refresh_token");
        let presentations = (0..3).map(|_| app.refresh(&r1));
        let mut pairs = Vec::new();
        for response in join_all(presentations).await {
            let body = expect_status(response, 200).await;
            pairs.push((field(&body, "access_token"), field(&body, "refresh_token")));
        }
        assert!(pairs.iter().all(|p| *p == pairs[0]), "{pairs:?}");
        let (access, refresh) = pairs[0].clone();
        assert_ne!(refresh, r1);
        // A retry after the race, still within the window: the same pair.
        let retry = expect_status(app.refresh(&r1).await, 200).await;
        assert_eq!(field(&retry, "access_token"), access);
        assert_eq!(field(&retry, "refresh_token"), refresh);
        // The sign-in keeps working: its access token, then its next rotation.
        expect_status(app.me_as(&access).await, 200).await;
        let next = expect_status(app.refresh(&refresh).await, 200).await;
        expect_status(app.me_as(&field(&next, "access_token")).await, 200).await;
    }
    assert_eq!(app.count("/audit-log?action=auth.refresh_reused").await, 0);
}

crate::on_every_backend!(
    signing_out_revokes_the_access_tokens_of_the_sign_in,
    a_replayed_refresh_token_revokes_the_access_tokens_of_its_sign_in,
    concurrent_refreshes_with_one_token_get_the_same_pair,
);
