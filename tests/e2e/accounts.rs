//! Accounts: user administration (admin API and `rapport user create`) and
//! API keys.

use clap::Parser;
use rapport_api::cli::UserCreate;
use serde_json::{Value, json};

use std::time::Duration;

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, Backend, TestApp, USER_PASSWORD, eventually, expect_problem,
    expect_status, id_of, spawn_app, spawn_replica,
};

async fn api_keys_are_shown_once_and_retried_safely(backend: Backend) {
    let app = spawn_app(backend).await;
    expect_problem(
        app.post("/api-keys", &json!({"name": "root", "role": "admin"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let created = app.create_api_key("shop sync").await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rpk_"));
    assert_eq!(key.len(), 4 + 43);
    assert_eq!(created["role"], "integration");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    // A retried creation gets the same key's details, but the key is never stored in clear.
    let retry = async || {
        let body = json!({"name": "retried"});
        let response = app
            .post_once(&app.token, "/api-keys", "key-once", &body)
            .await;
        expect_status(response, 201).await
    };
    let first = retry().await;
    assert!(first["key"].as_str().unwrap().starts_with("rpk_"));
    let replay = retry().await;
    assert_eq!(replay["id"], first["id"]);
    assert!(replay.get("key").is_none(), "{replay}");
    app.revoke_api_key(&id_of(&first)).await;

    let listed = app.list_all("/api-keys").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], created["id"]);
    assert!(listed[0].get("key").is_none(), "the key is shown once");
    assert_eq!(listed[0]["last_used_at"], Value::Null);
}

async fn api_keys_authenticate_until_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.create_api_key("shop sync").await;
    let key = created["key"].as_str().unwrap().to_owned();
    let body = json!({"name": "From the shop"});
    let customer = expect_status(app.post_as(&key, "/customers", &body).await, 201).await;
    // An integration key may not manage access.
    expect_problem(app.get_as(&key, "/users").await, 403, "forbidden").await;
    let listed = app.list_all("/api-keys").await;
    assert!(listed[0]["last_used_at"].is_string());
    let entries = app
        .audit(&format!("resource_id={}", id_of(&customer)))
        .await;
    assert_eq!(
        entries[0]["actor"],
        format!("key:{}", created["id"].as_str().unwrap())
    );

    app.revoke_api_key(&id_of(&created)).await;
    expect_problem(app.get_as(&key, "/customers").await, 401, "unauthorized").await;
    let response = app.get_as("rpk_not-a-key", "/customers").await;
    expect_problem(response, 401, "unauthorized").await;
    assert_eq!(app.count("/api-keys").await, 0);
    assert_eq!(app.count("/api-keys?include_revoked=true").await, 1);
    assert_eq!(app.count("/audit-log?action=api_key.revoke").await, 1);
}

async fn new_users_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
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
}

async fn the_last_admin_cannot_step_down(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin_id = app.admin_id().await;
    let path = format!("/users/{admin_id}");
    // The last active admin can be neither demoted nor deactivated.
    expect_problem(
        app.patch(&path, &json!({"role": "manager"})).await,
        409,
        "last_admin",
    )
    .await;
    expect_problem(app.delete(&path).await, 409, "last_admin").await;
    let unchanged = app.get_user(&admin_id).await;
    assert_eq!(unchanged["role"], "admin");
    assert_eq!(unchanged["active"], true);

    // With a second admin, the first may step down; the role change is audited.
    let second = app.user("admin", None).await;
    let demoted = app
        .change(&path, &json!({"role": "manager", "department": "ops"}))
        .await;
    assert_eq!(demoted["role"], "manager");
    // The demoted admin lost access at once; the second admin sees the change.
    expect_problem(app.get("/users").await, 403, "forbidden").await;
    let changes = expect_status(
        app.get_as(&second.token, "/audit-log?action=user.role_change")
            .await,
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
        app.delete_as(&second.token, &format!("/users/{}", second.id))
            .await,
        409,
        "last_admin",
    )
    .await;
}

/// How one admin takes another's admin rights away.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Take {
    /// `PATCH /users/{id}` to the manager role.
    Demote,
    /// `DELETE /users/{id}`, which deactivates.
    Deactivate,
}

/// An admin signed in on one replica.
struct Admin<'a> {
    app: &'a TestApp,
    id: String,
    email: String,
    password: &'static str,
    token: String,
}

impl Admin<'_> {
    async fn take(&self, other: &Admin<'_>, how: Take) -> (u16, Value) {
        let path = format!("/users/{}", other.id);
        let response = match how {
            Take::Demote => {
                self.app
                    .patch_as(&self.token, &path, &json!({"role": "manager"}))
                    .await
            }
            Take::Deactivate => self.app.delete_as(&self.token, &path).await,
        };
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn may_manage_access(&self) -> bool {
        self.app
            .get_as(&self.token, "/users?limit=1")
            .await
            .status()
            == 200
    }
}

/// Two admins taking each other's admin rights away at the same moment
/// (demoting, deactivating, one of each): one wins, the other gets 409
/// `last_admin`, and an active admin remains. Each admin calls through a
/// replica of their own whose cache has just seen them as an admin, so
/// that both requests are authorised before either change is committed.
async fn admins_removing_each_other_at_once_leave_one_admin(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = spawn_replica(&app).await;
    let second = app.user("admin", None).await;
    let mut admins = [
        Admin {
            app: &app,
            id: app.admin_id().await,
            email: ADMIN_EMAIL.to_owned(),
            password: ADMIN_PASSWORD,
            token: app.token.clone(),
        },
        Admin {
            app: &replica,
            id: second.id,
            email: second.email,
            password: USER_PASSWORD,
            token: second.token,
        },
    ];
    let rounds = [
        (Take::Demote, Take::Demote),
        (Take::Deactivate, Take::Deactivate),
        (Take::Demote, Take::Deactivate),
    ];
    for round in 0..6 {
        let (first_takes, second_takes) = rounds[round % rounds.len()];
        eventually(
            "both admins are authorised as admins on their replica",
            Duration::from_secs(5),
            async || admins[0].may_manage_access().await && admins[1].may_manage_access().await,
        )
        .await;
        let outcomes = {
            let (a, b) = tokio::join!(
                admins[0].take(&admins[1], first_takes),
                admins[1].take(&admins[0], second_takes)
            );
            [a, b]
        };
        let won: Vec<usize> = (0..2).filter(|i| outcomes[*i].0 < 300).collect();
        assert_eq!(won.len(), 1, "round {round}: {outcomes:?}");
        let (winner, loser) = (won[0], 1 - won[0]);
        assert_eq!(outcomes[loser].0, 409, "round {round}: {outcomes:?}");
        assert_eq!(outcomes[loser].1["code"], "last_admin", "round {round}");
        let listed = expect_status(
            admins[winner]
                .app
                .get_as(&admins[winner].token, "/users?role=admin&active=true")
                .await,
            200,
        )
        .await;
        let ids: Vec<&str> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [admins[winner].id.as_str()], "round {round}");

        // The winner gives the loser their rights back for the next round.
        let taken = if winner == 0 {
            first_takes
        } else {
            second_takes
        };
        let restore = match taken {
            Take::Demote => json!({"role": "admin"}),
            Take::Deactivate => json!({"active": true}),
        };
        let path = format!("/users/{}", admins[loser].id);
        let response = admins[winner]
            .app
            .patch_as(&admins[winner].token, &path, &restore)
            .await;
        expect_status(response, 200).await;
        if taken == Take::Deactivate {
            let loser = &mut admins[loser];
            loser.token = loser.app.login(&loser.email, loser.password).await;
        }
    }
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
    // The password is a one-time one: the user must change it first.
    let session = app.session("CLI.USER@example.com", &password).await;
    assert_eq!(session["user"]["must_change_password"], true, "{session}");
    let token = session["access_token"].as_str().unwrap();
    let me = expect_status(app.me_as(token).await, 200).await;
    assert_eq!(me["role"], "support");
    assert_eq!(me["department"], "support");
    assert_eq!(me["must_change_password"], true);
    expect_problem(
        app.get_as(token, "/customers").await,
        403,
        "password_change_required",
    )
    .await;
    let entries = app.audit("action=user.create&actor=cli").await;
    assert_eq!(entries.len(), 1);
    // A second run with the same e-mail is refused and creates nothing.
    let before = app.count("/users").await;
    let again = rapport_api::cli::create_user(parse("sales").unwrap().args).await;
    assert!(again.unwrap_err().to_string().contains("e-mail"));
    assert_eq!(app.count("/users").await, before);
}

crate::on_every_backend!(
    api_keys_are_shown_once_and_retried_safely,
    api_keys_authenticate_until_revoked,
    new_users_are_validated,
    the_last_admin_cannot_step_down,
    admins_removing_each_other_at_once_leave_one_admin,
    cli_creates_users_with_a_one_time_password,
);
