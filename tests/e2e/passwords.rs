//! Changing one's own password (`POST /me/password`), and one-time
//! passwords that must be changed before anything else.

use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, USER_PASSWORD, error_fields, expect_problem, expect_status, id_of, spawn_app,
    spawn_app_with,
};

const NEW_PASSWORD: &str = "a brand new long password";

fn field(session: &Value, name: &str) -> String {
    session[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {session}"))
        .to_owned()
}

/// `POST /me/password` as `token`, whatever the outcome.
async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> reqwest::Response {
    let body = json!({"current_password": current, "new_password": new});
    app.post_as(token, "/me/password", &body).await
}

async fn a_one_time_password_must_be_changed_before_anything_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = "newcomer@example.com";
    let created = app
        .create(
            "/users",
            &json!({"email": email, "name": "Newcomer", "role": "sales",
                    "password": USER_PASSWORD, "must_change_password": true}),
        )
        .await;
    assert_eq!(created["must_change_password"], true);
    let session = app.session(email, USER_PASSWORD).await;
    assert_eq!(session["user"]["must_change_password"], true, "{session}");
    let token = field(&session, "access_token");

    // Only /me, /me/password and signing in and out work until it is changed.
    let refused = expect_problem(
        app.get_as(&token, "/customers").await,
        403,
        "password_change_required",
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("/me/password"),
        "{refused}"
    );
    let body = json!({"name": "Ada"});
    expect_problem(
        app.post_as(&token, "/customers", &body).await,
        403,
        "password_change_required",
    )
    .await;
    let me = expect_status(app.me_as(&token).await, 200).await;
    assert_eq!(me["must_change_password"], true);
    let refreshed = expect_status(app.refresh(&field(&session, "refresh_token")).await, 200).await;
    let token = field(&refreshed, "access_token");
    expect_problem(
        app.get_as(&token, "/customers").await,
        403,
        "password_change_required",
    )
    .await;

    expect_status(change(&app, &token, USER_PASSWORD, NEW_PASSWORD).await, 204).await;
    // The same token now works everywhere its role allows.
    expect_status(app.get_as(&token, "/customers").await, 200).await;
    let me = expect_status(app.me_as(&token).await, 200).await;
    assert_eq!(me["must_change_password"], false);
    expect_problem(
        app.try_login(email, USER_PASSWORD).await,
        401,
        "unauthorized",
    )
    .await;
    let again = app.session(email, NEW_PASSWORD).await;
    assert_eq!(again["user"]["must_change_password"], false);
    let entries = app
        .audit(&format!(
            "action=user.password_change&resource_id={}",
            id_of(&created)
        ))
        .await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["changes"]["must_change_password"],
        json!({"from": true, "to": false})
    );
    assert_eq!(entries[0]["actor"], format!("user:{}", id_of(&created)));

    // An admin's chosen password is not a one-time one unless asked.
    let chosen = app.user("support", None).await;
    let me = expect_status(app.me_as(&chosen.token).await, 200).await;
    assert_eq!(me["must_change_password"], false);
    expect_status(app.get_as(&chosen.token, "/customers").await, 200).await;
}

async fn a_password_change_checks_both_and_revokes_the_other_sign_ins(backend: Backend) {
    let app = spawn_app(backend).await;
    let sales = app.user("sales", None).await;
    let here = app.session(&sales.email, USER_PASSWORD).await;
    let there = app.session(&sales.email, USER_PASSWORD).await;
    let token = field(&here, "access_token");

    // A wrong current password, a too short or unchanged new one: 422 naming
    // the field, and nothing changes.
    let wrong = expect_problem(
        change(&app, &token, "not my password at all", NEW_PASSWORD).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&wrong), ["current_password"]);
    let short = expect_problem(
        change(&app, &token, USER_PASSWORD, "short").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&short), ["new_password"]);
    let same = expect_problem(
        change(&app, &token, USER_PASSWORD, USER_PASSWORD).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(error_fields(&same), ["new_password"]);
    let body = json!({"current_password": USER_PASSWORD, "new_password": NEW_PASSWORD,
        "role": "admin"});
    expect_problem(
        app.post_as(&token, "/me/password", &body).await,
        422,
        "validation_failed",
    )
    .await;
    app.login(&sales.email, USER_PASSWORD).await;
    expect_status(app.me_as(&field(&there, "access_token")).await, 200).await;
    assert_eq!(
        app.count(&format!(
            "/audit-log?action=user.password_change_failed&resource_id={}",
            sales.id
        ))
        .await,
        1
    );
    // An API key has no password to change.
    let key = app.create_api_key("shop sync").await;
    expect_problem(
        change(&app, &field(&key, "key"), USER_PASSWORD, NEW_PASSWORD).await,
        403,
        "forbidden",
    )
    .await;

    expect_status(change(&app, &token, USER_PASSWORD, NEW_PASSWORD).await, 204).await;
    // This sign-in goes on; every other one (the earlier logins too) is
    // revoked, access and refresh tokens alike.
    expect_status(app.me_as(&token).await, 200).await;
    expect_problem(
        app.me_as(&field(&there, "access_token")).await,
        401,
        "unauthorized",
    )
    .await;
    expect_problem(app.me_as(&sales.token).await, 401, "unauthorized").await;
    expect_problem(
        app.refresh(&field(&there, "refresh_token")).await,
        401,
        "unauthorized",
    )
    .await;
    expect_status(app.refresh(&field(&here, "refresh_token")).await, 200).await;
    expect_problem(
        app.try_login(&sales.email, USER_PASSWORD).await,
        401,
        "unauthorized",
    )
    .await;
    app.login(&sales.email, NEW_PASSWORD).await;
    let entries = app
        .audit(&format!(
            "action=user.password_change&resource_id={}",
            sales.id
        ))
        .await;
    assert_eq!(entries[0]["changes"]["other_sessions_revoked"], true);
}

async fn wrong_current_passwords_count_as_failed_sign_ins(backend: Backend) {
    let app = spawn_app_with(backend, &["--login-max-failures", "2"]).await;
    let sales = app.user("sales", None).await;
    for _ in 0..2 {
        let response = change(&app, &sales.token, "not my password at all", NEW_PASSWORD).await;
        expect_problem(response, 422, "validation_failed").await;
    }
    // The account's failures are used up: the right password is refused too,
    // here and at sign-in, and nothing changed.
    let response = change(&app, &sales.token, USER_PASSWORD, NEW_PASSWORD).await;
    assert!(response.headers().contains_key("retry-after"));
    expect_problem(response, 429, "rate_limited").await;
    expect_problem(
        app.try_login(&sales.email, USER_PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
    expect_status(app.me_as(&sales.token).await, 200).await;
}

crate::on_every_backend!(
    a_one_time_password_must_be_changed_before_anything_else,
    a_password_change_checks_both_and_revokes_the_other_sign_ins,
    wrong_current_passwords_count_as_failed_sign_ins,
);
