//! Authentication: refresh rotation and reuse, logout, deactivation, the
//! login rate limit and forged tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, USER_PASSWORD, expect_problem, expect_status,
    spawn_app, spawn_app_with,
};

const SECRET: &str = "a test secret that is at least thirty-two bytes";

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.api("/auth/refresh"))
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap()
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.request_as(token, Method::GET, "/me")
        .send()
        .await
        .unwrap()
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 900);
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();

    let second = expect_status(refresh(&app, &r1).await, 200).await;
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    expect_status(
        me(&app, second["access_token"].as_str().unwrap()).await,
        200,
    )
    .await;

    // r1 was rotated: presenting it again revokes r2 as well.
    expect_problem(refresh(&app, &r1).await, 401, "unauthorized").await;
    expect_problem(refresh(&app, &r2).await, 401, "unauthorized").await;
    expect_problem(refresh(&app, "not a token").await, 401, "unauthorized").await;

    // Another sign-in is another family, untouched; logout revokes it.
    let other = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r3 = other["refresh_token"].as_str().unwrap().to_owned();
    let response = app
        .client
        .post(app.api("/auth/logout"))
        .json(&json!({"refresh_token": r3}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    expect_problem(refresh(&app, &r3).await, 401, "unauthorized").await;

    let reuse = app.list_all("/audit-log?action=auth.refresh_reused").await;
    assert_eq!(reuse.len(), 1);
    assert_eq!(app.count("/audit-log?action=auth.logout").await, 1);
}

async fn expired_refresh_tokens_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, &["--refresh-token-ttl", "0"]).await;
    let session = app.session(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = session["refresh_token"].as_str().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let body = expect_problem(refresh(&app, token).await, 401, "unauthorized").await;
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    assert_eq!(app.count("/audit-log?action=auth.refresh").await, 0);
}

async fn deactivation_and_password_change_revoke_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let (id, token) = app.user("sales", None).await;
    let me_body = expect_status(me(&app, &token).await, 200).await;
    let email = me_body["email"].as_str().unwrap().to_owned();
    let session = app.session(&email, USER_PASSWORD).await;
    let refresh_token = session["refresh_token"].as_str().unwrap().to_owned();

    let response = app
        .request(Method::DELETE, &format!("/users/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let entries = app
        .list_all(&format!(
            "/audit-log?action=user.deactivate&resource_id={id}"
        ))
        .await;
    assert_eq!(
        entries[0]["changes"]["active"],
        json!({"from": true, "to": false})
    );
    assert_eq!(entries[0]["changes"]["tokens_revoked"], true);
    let body = expect_problem(me(&app, &token).await, 401, "unauthorized").await;
    assert!(body["detail"].as_str().unwrap().contains("revoked"));
    expect_problem(refresh(&app, &refresh_token).await, 401, "unauthorized").await;
    expect_problem(
        app.try_login(&email, USER_PASSWORD).await,
        401,
        "unauthorized",
    )
    .await;

    // Reactivated with a new password: the old password no longer works.
    let updated = expect_status(
        app.patch(
            &format!("/users/{id}"),
            &json!({"active": true, "password": "another long password"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(updated["active"], true);
    expect_problem(me(&app, &token).await, 401, "unauthorized").await;
    expect_problem(
        app.try_login(&email, USER_PASSWORD).await,
        401,
        "unauthorized",
    )
    .await;
    app.login(&email, "another long password").await;
}

async fn failed_logins_are_rate_limited(backend: Backend) {
    let app = spawn_app_with(backend, &["--login-max-failures", "3"]).await;
    let (_, support_token) = app.user("support", None).await;
    let support = expect_status(me(&app, &support_token).await, 200).await;
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
        expect_problem(
            app.try_login(ADMIN_EMAIL.to_uppercase().as_str(), "wrong password!!")
                .await,
            401,
            "unauthorized",
        )
        .await;
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
    app.login(support["email"].as_str().unwrap(), USER_PASSWORD)
        .await;
    let failures = app.count("/audit-log?action=auth.login_failed").await;
    assert_eq!(failures, 4);
}

async fn failed_logins_are_rate_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, &["--login-max-failures-per-address", "2"]).await;
    for n in 0..2 {
        let email = format!("someone{n}@example.com");
        expect_problem(
            app.try_login(&email, "whatever it is").await,
            401,
            "unauthorized",
        )
        .await;
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
    let me_body = expect_status(me(&app, &app.token).await, 200).await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": me_body["id"], "role": "admin", "dept": null, "iss": "rapport",
        "aud": "rapport-api", "exp": now + 600, "iat": now, "jti": uuid::Uuid::new_v4(), "ver": 0});
    // The genuine article is accepted, so each refusal below is about one defect.
    expect_status(
        me(&app, &sign(&claims, Algorithm::HS256, SECRET)).await,
        200,
    )
    .await;

    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims.clone();
    wrong_issuer["iss"] = json!("evil");
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 120);
    let forged = [
        ("alg none", format!("{header}.{payload}.")),
        ("HS512", sign(&claims, Algorithm::HS512, SECRET)),
        (
            "wrong key",
            sign(
                &claims,
                Algorithm::HS256,
                "another secret of at least 32 bytes!!",
            ),
        ),
        (
            "wrong audience",
            sign(&wrong_audience, Algorithm::HS256, SECRET),
        ),
        (
            "wrong issuer",
            sign(&wrong_issuer, Algorithm::HS256, SECRET),
        ),
        ("expired", sign(&expired, Algorithm::HS256, SECRET)),
        ("garbage", "abc.def.ghi".to_owned()),
    ];
    for (what, token) in forged {
        let response = me(&app, &token).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{what}");
        expect_problem(response, 401, "unauthorized").await;
    }
    let response = app.client.get(app.api("/customers")).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_problem(response, 401, "unauthorized").await;
}

async fn identity_routes_refuse_bad_input(backend: Backend) {
    let app = spawn_app(backend).await;
    let post_raw = |path: &str, body: &'static str| {
        app.client
            .post(app.api(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    expect_problem(
        post_raw("/auth/login", "{").await.unwrap(),
        400,
        "malformed_json",
    )
    .await;
    expect_problem(
        post_raw("/auth/login", "{}").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let extra = r#"{"email": "a@b.c", "password": "x", "admin": true}"#;
    expect_problem(
        post_raw("/auth/login", extra).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let wrong_type = r#"{"refresh_token": 5}"#;
    expect_problem(
        post_raw("/auth/refresh", wrong_type).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let unknown = r#"{"refresh_token": "nope"}"#;
    expect_problem(
        post_raw("/auth/logout", unknown).await.unwrap(),
        401,
        "unauthorized",
    )
    .await;

    expect_problem(
        app.get("/users?limit=100000").await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(
        app.get("/users?cursor=garbage").await,
        400,
        "invalid_cursor",
    )
    .await;
    expect_problem(
        app.get("/audit-log?sort=actor").await,
        422,
        "validation_failed",
    )
    .await;
    expect_problem(app.get("/users/not-a-uuid").await, 404, "not_found").await;
    let missing = format!("/users/{}", uuid::Uuid::now_v7());
    expect_problem(app.get(&missing).await, 404, "not_found").await;
    let missing_key = format!("/api-keys/{}", uuid::Uuid::now_v7());
    let response = app
        .request(Method::DELETE, &missing_key)
        .send()
        .await
        .unwrap();
    expect_problem(response, 404, "not_found").await;

    let (id, _) = app.user("sales", None).await;
    let path = format!("/users/{id}");
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
        .request(Method::PATCH, &path)
        .header("If-Match", "\"99\"")
        .json(&json!({"role": "manager"}))
        .send()
        .await
        .unwrap();
    expect_problem(stale, 412, "precondition_failed").await;
    let unchanged = expect_status(app.get(&path).await, 200).await;
    assert_eq!(unchanged["role"], "sales");
    assert_eq!(unchanged["version"], 1);
    let audited: Vec<String> = app
        .list_all(&format!("/audit-log?resource_id={id}"))
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        audited,
        ["auth.login", "user.create"],
        "no refused change was logged"
    );

    let customer = app.create("/customers", &json!({"name": "Kept"})).await;
    let path = format!(
        "/customers/{}?erase=maybe",
        customer["id"].as_str().unwrap()
    );
    let response = app.request(Method::DELETE, &path).send().await.unwrap();
    expect_problem(response, 400, "invalid_query").await;
    let kept = expect_status(
        app.get(&format!("/customers/{}", customer["id"].as_str().unwrap()))
            .await,
        200,
    )
    .await;
    assert_eq!(kept["name"], "Kept");
}

crate::on_every_backend!(
    refresh_rotates_and_reuse_revokes_the_family,
    expired_refresh_tokens_are_refused,
    deactivation_and_password_change_revoke_tokens,
    failed_logins_are_rate_limited,
    failed_logins_are_rate_limited_per_address,
    forged_tokens_are_refused,
    identity_routes_refuse_bad_input,
);
