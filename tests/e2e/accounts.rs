//! Accounts: user administration (admin API and `rapport user create`) and
//! API keys.

use clap::Parser;
use rapport_api::cli::UserCreate;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, USER_PASSWORD, expect_problem, expect_status, spawn_app};

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.request_as(token, Method::GET, "/me")
        .send()
        .await
        .unwrap()
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

    // A retried creation gets the same key's details, but the key is never stored in clear.
    let retry = |_: ()| {
        app.request(Method::POST, "/api-keys")
            .header("Idempotency-Key", "key-once")
            .json(&json!({"name": "retried"}))
            .send()
    };
    let first = expect_status(retry(()).await.unwrap(), 201).await;
    assert!(first["key"].as_str().unwrap().starts_with("rpk_"));
    let replay = expect_status(retry(()).await.unwrap(), 201).await;
    assert_eq!(replay["id"], first["id"]);
    assert!(replay.get("key").is_none(), "{replay}");
    let response = app
        .request(
            Method::DELETE,
            &format!("/api-keys/{}", first["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

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
    assert_eq!(app.count("/api-keys?include_revoked=true").await, 2);
    assert_eq!(app.count("/audit-log?action=api_key.revoke").await, 2);
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

#[derive(Parser)]
struct UserCommand {
    #[command(flatten)]
    args: UserCreate,
}

async fn cli_creates_users_with_a_one_time_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let parse = |role: &str| {
        UserCommand::try_parse_from([
            "user",
            "--database-url",
            &app.database_url,
            "--email",
            "Cli.User@Example.com",
            "--role",
            role,
            "--department",
            "support",
        ])
    };
    assert!(
        parse("root").is_err(),
        "unknown roles are refused by the parser"
    );
    let args = parse("support").unwrap().args;
    let (email, password) = rapport_api::cli::create_user(args).await.unwrap();
    assert_eq!(email, "cli.user@example.com");
    assert_eq!(password.len(), 24);
    let token = app.login("CLI.USER@example.com", &password).await;
    let me_body = expect_status(me(&app, &token).await, 200).await;
    assert_eq!(me_body["role"], "support");
    assert_eq!(me_body["department"], "support");
    let entries = app
        .list_all("/audit-log?action=user.create&actor=cli")
        .await;
    assert_eq!(entries.len(), 1);
    // A second run with the same e-mail is refused and creates nothing.
    let before = app.count("/users").await;
    let again = rapport_api::cli::create_user(parse("sales").unwrap().args).await;
    assert!(again.unwrap_err().to_string().contains("e-mail"));
    assert_eq!(app.count("/users").await, before);
}

crate::on_every_backend!(
    api_keys_authenticate_and_can_be_revoked,
    users_are_administered_with_their_rules,
    cli_creates_users_with_a_one_time_password,
);
