//! Authentication: refresh rotation and reuse, logout, deactivation, the
//! login rate limit, forged tokens, API keys and user administration.

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

async fn api_keys_authenticate_and_can_be_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    expect_problem(
        app.post("/api-keys", &json!({"name": "root", "role": "admin"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let created = app.create("/api-keys", &json!({"name": "shop sync"})).await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rpk_"));
    assert_eq!(key.len(), 4 + 43);
    assert_eq!(created["role"], "integration");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    let listed = app.list_all("/api-keys").await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("key").is_none(), "the key is shown once");
    assert_eq!(listed[0]["last_used_at"], Value::Null);

    let customer = expect_status(
        app.request_as(&key, Method::POST, "/customers")
            .json(&json!({"name": "From the shop"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    // An integration key may not manage access.
    expect_problem(
        app.request_as(&key, Method::GET, "/users")
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
    let listed = app.list_all("/api-keys").await;
    assert!(listed[0]["last_used_at"].is_string());
    let entries = app
        .list_all(&format!(
            "/audit-log?resource_id={}",
            customer["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        entries[0]["actor"],
        format!("key:{}", created["id"].as_str().unwrap())
    );

    let id = created["id"].as_str().unwrap();
    let response = app
        .request(Method::DELETE, &format!("/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    expect_problem(
        app.request_as(&key, Method::GET, "/customers")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    expect_problem(
        app.request_as("rpk_not-a-key", Method::GET, "/customers")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(app.count("/api-keys").await, 0);
    assert_eq!(app.count("/api-keys?include_revoked=true").await, 1);
    assert_eq!(app.count("/audit-log?action=api_key.revoke").await, 1);
}

async fn users_are_administered_with_their_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let me_body = expect_status(me(&app, &app.token).await, 200).await;
    let admin_id = me_body["id"].as_str().unwrap().to_owned();
    let before = app.count("/users").await;

    let bad = expect_problem(
        app.post(
            "/users",
            &json!({"email": "x@example.com", "name": "X", "role": "sales", "password": "short"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "password");
    expect_problem(
        app.post(
            "/users",
            &json!({"email": "ADMIN@example.com", "name": "Dup", "role": "sales",
            "password": USER_PASSWORD}),
        )
        .await,
        409,
        "email_taken",
    )
    .await;
    expect_problem(
        app.post(
            "/users",
            &json!({"email": "y@example.com", "name": "Y", "role": "root",
            "password": USER_PASSWORD}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(app.count("/users").await, before);

    // The last active admin can be neither demoted nor deactivated.
    expect_problem(
        app.patch(&format!("/users/{admin_id}"), &json!({"role": "manager"}))
            .await,
        409,
        "last_admin",
    )
    .await;
    expect_problem(
        app.request(Method::DELETE, &format!("/users/{admin_id}"))
            .send()
            .await
            .unwrap(),
        409,
        "last_admin",
    )
    .await;
    let unchanged = expect_status(app.get(&format!("/users/{admin_id}")).await, 200).await;
    assert_eq!(unchanged["role"], "admin");
    assert_eq!(unchanged["active"], true);

    // With a second admin, the first may step down; the role change is audited.
    let (second, second_token) = app.user("admin", None).await;
    let demoted = expect_status(
        app.patch(
            &format!("/users/{admin_id}"),
            &json!({"role": "manager", "department": "ops"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(demoted["role"], "manager");
    // The demoted admin lost access at once; the second admin sees the change.
    expect_problem(app.get("/users").await, 403, "forbidden").await;
    let changes = expect_status(
        app.request_as(
            &second_token,
            Method::GET,
            "/audit-log?action=user.role_change",
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    let entry = &changes["data"][0];
    assert_eq!(entry["resource_id"], admin_id.as_str());
    assert_eq!(entry["actor"], format!("user:{admin_id}"));
    assert_eq!(
        entry["changes"]["role"],
        json!({"from": "admin", "to": "manager"})
    );
    assert_eq!(
        entry["changes"]["department"],
        json!({"from": null, "to": "ops"})
    );
    // Now the second admin is the last one.
    expect_problem(
        app.request_as(&second_token, Method::DELETE, &format!("/users/{second}"))
            .send()
            .await
            .unwrap(),
        409,
        "last_admin",
    )
    .await;
}

crate::on_every_backend!(
    refresh_rotates_and_reuse_revokes_the_family,
    deactivation_and_password_change_revoke_tokens,
    failed_logins_are_rate_limited,
    failed_logins_are_rate_limited_per_address,
    forged_tokens_are_refused,
    api_keys_authenticate_and_can_be_revoked,
    users_are_administered_with_their_rules,
);
