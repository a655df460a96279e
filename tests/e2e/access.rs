//! Authentication: refresh rotation and reuse, logout, deactivation, the
//! login rate limit, forged tokens, and bad input on the identity routes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, USER_PASSWORD, expect_problem, expect_status,
    spawn_app, spawn_app_with,
};

const SECRET: &str = "a test secret that is at least thirty-two bytes";

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    // With no grace window, any second presentation is a replay.
    let app = spawn_app_with(backend, &["--refresh-grace", "0"]).await;
    let first = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 900);
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();

    let second = expect_status(app.refresh(&r1).await, 200).await;
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    let access = second["access_token"].as_str().unwrap();
    expect_status(app.me_as(access).await, 200).await;

    // r1 was rotated: presenting it again revokes r2 as well.
    expect_problem(app.refresh(&r1).await, 401, "unauthorized").await;
    expect_problem(app.refresh(&r2).await, 401, "unauthorized").await;
    expect_problem(app.refresh("not a token").await, 401, "unauthorized").await;

    // Another sign-in is another family, untouched; logout revokes it.
    let other = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r3 = other["refresh_token"].as_str().unwrap().to_owned();
    app.logout(&r3).await;
    expect_problem(app.refresh(&r3).await, 401, "unauthorized").await;

    assert_eq!(app.audit("action=auth.refresh_reused").await.len(), 1);
    assert_eq!(app.count("/audit-log?action=auth.logout").await, 1);
}

async fn expired_refresh_tokens_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, &["--refresh-token-ttl", "1"]).await;
    let session = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = session["refresh_token"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let body = expect_problem(app.refresh(token).await, 401, "unauthorized").await;
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    assert_eq!(app.count("/audit-log?action=auth.refresh").await, 0);
}

async fn deactivation_and_password_change_revoke_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let sales = app.user("sales", None).await;
    let me = expect_status(app.me_as(&sales.token).await, 200).await;
    assert_eq!(me["email"], sales.email.as_str());
    let session = app.session(&sales.email, USER_PASSWORD).await;
    let refresh_token = session["refresh_token"].as_str().unwrap().to_owned();

    app.deactivate_user(&sales.id).await;
    let entries = app
        .audit(&format!("action=user.deactivate&resource_id={}", sales.id))
        .await;
    assert_eq!(
        entries[0]["changes"]["active"],
        json!({"from": true, "to": false})
    );
    assert_eq!(entries[0]["changes"]["tokens_revoked"], true);
    let body = expect_problem(app.me_as(&sales.token).await, 401, "unauthorized").await;
    assert!(body["detail"].as_str().unwrap().contains("revoked"));
    expect_problem(app.refresh(&refresh_token).await, 401, "unauthorized").await;
    let login = app.try_login(&sales.email, USER_PASSWORD).await;
    expect_problem(login, 401, "unauthorized").await;

    // Reactivated with a new password: the old password no longer works.
    let updated = app
        .change(
            &format!("/users/{}", sales.id),
            &json!({"active": true, "password": "another long password"}),
        )
        .await;
    assert_eq!(updated["active"], true);
    expect_problem(app.me_as(&sales.token).await, 401, "unauthorized").await;
    let login = app.try_login(&sales.email, USER_PASSWORD).await;
    expect_problem(login, 401, "unauthorized").await;
    app.login(&sales.email, "another long password").await;
}

async fn failed_logins_are_rate_limited(backend: Backend) {
    let app = spawn_app_with(backend, &["--login-max-failures", "3"]).await;
    let support = app.user("support", None).await;
    let me = expect_status(app.me_as(&support.token).await, 200).await;
    assert_eq!(me["email"], support.email.as_str());
    let unknown = expect_problem(
        app.try_login("nobody@example.com", "whatever it is").await,
        401,
        "unauthorized",
    )
    .await;
    let wrong = expect_problem(
        app.try_login(ADMIN_EMAIL, "wrong password!!").await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(unknown["detail"], wrong["detail"], "same answer for both");
    for _ in 0..2 {
        let response = app
            .try_login(&ADMIN_EMAIL.to_uppercase(), "wrong password!!")
            .await;
        expect_problem(response, 401, "unauthorized").await;
    }
    // Now even the right password is refused until the window passes.
    let response = app.try_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=901).contains(&retry_after), "{retry_after}");
    expect_problem(response, 429, "rate_limited").await;
    // Other accounts are not blocked by this account's failures.
    app.login(&support.email, USER_PASSWORD).await;
    let failures = app.count("/audit-log?action=auth.login_failed").await;
    assert_eq!(failures, 4);
}

async fn failed_logins_are_rate_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, &["--login-max-failures-per-address", "2"]).await;
    for n in 0..2 {
        let email = format!("someone{n}@example.com");
        let response = app.try_login(&email, "whatever it is").await;
        expect_problem(response, 401, "unauthorized").await;
    }
    expect_problem(
        app.try_login(ADMIN_EMAIL, ADMIN_PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn forged_tokens_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, &["--jwt-secret", SECRET]).await;
    let admin = app.admin_id().await;
    let now = chrono::Utc::now().timestamp();
    // The sign-in of the test's own session, which is live.
    let payload = app.token.split('.').nth(1).unwrap();
    let signed_in: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let claims = json!({"sub": admin, "role": "admin", "dept": null, "iss": "rapport",
        "aud": "rapport-api", "exp": now + 600, "iat": now, "jti": uuid::Uuid::new_v4(), "ver": 0,
        "sid": signed_in["sid"]});
    // The genuine article is accepted, so each refusal below is about one defect.
    let genuine = sign(&claims, Algorithm::HS256, SECRET);
    expect_status(app.me_as(&genuine).await, 200).await;

    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let with = |field: &str, value: Value| {
        let mut changed = claims.clone();
        changed[field] = value;
        sign(&changed, Algorithm::HS256, SECRET)
    };
    let other_key = "another secret of at least 32 bytes!!";
    let forged = [
        ("alg none", format!("{header}.{payload}.")),
        ("HS512", sign(&claims, Algorithm::HS512, SECRET)),
        ("wrong key", sign(&claims, Algorithm::HS256, other_key)),
        ("wrong audience", with("aud", json!("someone-else"))),
        ("wrong issuer", with("iss", json!("evil"))),
        ("expired", with("exp", json!(now - 120))),
        ("unknown sign-in", with("sid", json!(uuid::Uuid::now_v7()))),
        ("no sign-in", {
            let mut changed = claims.clone();
            changed.as_object_mut().unwrap().remove("sid");
            sign(&changed, Algorithm::HS256, SECRET)
        }),
        ("garbage", "abc.def.ghi".to_owned()),
    ];
    for (what, token) in forged {
        let response = app.me_as(&token).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{what}");
        expect_problem(response, 401, "unauthorized").await;
    }
    let response = app
        .anonymous(Method::GET, "/customers")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_problem(response, 401, "unauthorized").await;
}

/// A JSON body sent as is, with no credentials.
async fn post_raw(app: &TestApp, path: &str, body: &'static str) -> Response {
    app.anonymous(Method::POST, path)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn auth_routes_refuse_bad_bodies(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        ("/auth/login", "{", 400, "malformed_json"),
        ("/auth/login", "{}", 422, "validation_failed"),
        (
            "/auth/login",
            r#"{"email": "a@b.c", "password": "x", "admin": true}"#,
            422,
            "validation_failed",
        ),
        (
            "/auth/refresh",
            r#"{"refresh_token": 5}"#,
            422,
            "validation_failed",
        ),
        (
            "/auth/logout",
            r#"{"refresh_token": "nope"}"#,
            401,
            "unauthorized",
        ),
    ];
    for (path, body, status, code) in cases {
        expect_problem(post_raw(&app, path, body).await, status, code).await;
    }
    assert_eq!(app.count("/audit-log?action=auth.logout").await, 0);
}

async fn identity_routes_refuse_bad_queries_and_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, status, code) in [
        ("/users?limit=100000", 422, "validation_failed"),
        ("/users?cursor=garbage", 400, "invalid_cursor"),
        ("/audit-log?sort=actor", 422, "validation_failed"),
        ("/users/not-a-uuid", 404, "not_found"),
    ] {
        expect_problem(app.get(path).await, status, code).await;
    }
    let missing = format!("/users/{}", uuid::Uuid::now_v7());
    expect_problem(app.get(&missing).await, 404, "not_found").await;
    let missing_key = format!("/api-keys/{}", uuid::Uuid::now_v7());
    expect_problem(app.delete(&missing_key).await, 404, "not_found").await;
}

async fn refused_user_changes_change_and_log_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let sales = app.user("sales", None).await;
    let path = format!("/users/{}", sales.id);
    for body in [
        json!({"role": "root"}),
        json!({"nickname": "x"}),
        json!({"email": "not an e-mail"}),
        json!({"password": "short"}),
        json!({"name": ""}),
        json!({"active": "yes"}),
    ] {
        expect_problem(app.patch(&path, &body).await, 422, "validation_failed").await;
    }
    let stale = app
        .send_if_match(
            Method::PATCH,
            &path,
            "\"99\"",
            Some(&json!({"role": "manager"})),
        )
        .await;
    expect_problem(stale, 412, "precondition_failed").await;
    let unchanged = app.get_user(&sales.id).await;
    assert_eq!(unchanged["role"], "sales");
    assert_eq!(unchanged["version"], 1);
    assert_eq!(
        app.audited_actions(&format!("resource_id={}", sales.id))
            .await,
        ["auth.login", "user.create"],
        "no refused change was logged"
    );
}

crate::on_every_backend!(
    refresh_rotates_and_reuse_revokes_the_family,
    expired_refresh_tokens_are_refused,
    deactivation_and_password_change_revoke_tokens,
    failed_logins_are_rate_limited,
    failed_logins_are_rate_limited_per_address,
    forged_tokens_are_refused,
    auth_routes_refuse_bad_bodies,
    identity_routes_refuse_bad_queries_and_ids,
    refused_user_changes_change_and_log_nothing,
);
