//! Secrets at rest: webhook secrets, the generated token secret and the
//! stored reply of a webhook's creation are sealed (a copy of the database
//! holds none of them in clear); `rapport rotate-keys` re-seals them under
//! a new master key without changing them; a rotated webhook secret keeps
//! signing beside the new one for the overlap.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{DecodingKey, Validation};
use rapport_api::cli::keys::{RotateKeysArgs, rotate_keys};
use rapport_api::config::{DatabaseSettings, KeySettings};
use rapport_api::secrets::MasterKey;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, FAST, TEST_MASTER_KEY, TestApp, expect_problem, expect_status, id_of, receiver,
    signed_by, spawn_app_with, spawn_replica_with, verify,
};

const TABLES: [&str; 3] = ["webhooks", "idempotency_keys", "app_settings"];

/// The generated token secret, opened with the service's master key, after
/// checking that it signed `token`.
async fn token_secret(app: &TestApp) -> String {
    let stored = app.app_setting("jwt_secret").await;
    assert!(stored.starts_with("enc:v1:"), "{stored}");
    let opened = app
        .master_key()
        .open(&stored)
        .expect("the token secret opens");
    let key = STANDARD.decode(&opened).expect("base64 secret");
    let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(&app.token, &DecodingKey::from_secret(&key), &validation)
        .expect("the stored secret signed the admin's token");
    opened
}

async fn no_secret_is_stored_in_clear(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["customer.created"]});
    let first = app
        .post_once(&app.token, "/webhooks", "hook-1", &body)
        .await;
    let created = expect_status(first, 201).await;
    let secret = created["secret"].as_str().expect("secret").to_owned();
    // A retry still gets the secret: the stored reply opens on replay.
    let again = app
        .post_once(&app.token, "/webhooks", "hook-1", &body)
        .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let replayed = expect_status(again, 201).await;
    assert_eq!(replayed["secret"], secret.as_str());
    let jwt = token_secret(&app).await;

    let raw = app.raw_text(&TABLES).await;
    assert!(raw.contains("enc:v1:"), "the sealed values are there");
    assert!(
        !raw.contains("whsec_"),
        "a webhook secret is stored in clear"
    );
    assert!(!raw.contains(&jwt), "the token secret is stored in clear");
    let key = secret.trim_start_matches("whsec_");
    assert!(!raw.contains(key), "the webhook key is stored in clear");
}

/// The arguments of `rapport rotate-keys` for `app`'s database.
fn rotation(app: &TestApp, new_key: &str) -> RotateKeysArgs {
    let on_postgres = app.database_url.starts_with("postgres");
    RotateKeysArgs {
        database: DatabaseSettings {
            database_url: app.database_url.clone().into(),
            db_max_connections: 2,
        },
        keys: KeySettings {
            master_key: on_postgres.then(|| TEST_MASTER_KEY.into()),
            master_key_file: None,
        },
        new_key: new_key.into(),
    }
}

async fn rotate_keys_keeps_webhook_and_token_secrets(backend: Backend) {
    // This replica never polls the outbox again (its key is about to go).
    let app = spawn_app_with(
        backend,
        &["--webhook-allow-private", "--webhook-poll-ms", "3600000"],
    )
    .await;
    let inbox = receiver(0).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.created"])).await;
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    let jwt = token_secret(&app).await;
    let old = app.master_key();

    let (new, new_text) = MasterKey::generate().expect("a key");
    let rotated = rotate_keys(rotation(&app, &new_text))
        .await
        .expect("rotate-keys");
    assert_eq!(rotated.from_kid, old.kid());
    assert_eq!(rotated.to_kid, new.kid());
    assert!(rotated.secrets >= 2, "{rotated:?}");
    let stored = app.app_setting("jwt_secret").await;
    assert!(
        stored.starts_with(&format!("enc:v1:{}:", new.kid())),
        "{stored}"
    );
    assert_eq!(new.open(&stored).expect("opens with the new key"), jwt);
    assert!(old.open(&stored).is_err(), "the old key no longer opens it");
    let raw = app.raw_text(&TABLES).await;
    assert!(!raw.contains("whsec_") && !raw.contains(&jwt));

    // A service started on the new key (the key file holds it on SQLite).
    let mut flags = FAST.to_vec();
    if backend_is_postgres(&app) {
        flags.extend(["--master-key", new_text.as_str()]);
    } else {
        assert_eq!(
            app.master_key().kid(),
            new.kid(),
            "the key file holds the new key"
        );
    }
    let next = spawn_replica_with(&app, &flags).await;
    // Tokens signed before the rotation are still accepted.
    expect_status(next.get_as(&app.token, "/webhooks").await, 200).await;
    // Deliveries are signed with the same webhook secret.
    next.customer("Ada").await;
    let hits = inbox.wait_for(1).await;
    verify(&secret, &hits[0]);
}

fn backend_is_postgres(app: &TestApp) -> bool {
    app.database_url.starts_with("postgres")
}

async fn a_rotated_secret_signs_beside_the_new_one(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let inbox = receiver(0).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.created"])).await;
    let id = id_of(&hook);
    let old = hook["secret"].as_str().expect("secret").to_owned();
    let path = format!("/webhooks/{id}/rotate-secret");

    let stale = app
        .send_if_match(reqwest::Method::POST, &path, "\"7\"", None)
        .await;
    expect_problem(stale, 412, "precondition_failed").await;
    let response = app
        .send_if_match(reqwest::Method::POST, &path, "\"1\"", None)
        .await;
    assert_eq!(response.headers()["etag"], "\"2\"");
    let rotated = expect_status(response, 200).await;
    let new = rotated["secret"]
        .as_str()
        .expect("the new secret")
        .to_owned();
    assert!(new.starts_with("whsec_") && new != old);
    assert!(
        app.fetch(&format!("/webhooks/{id}"))
            .await
            .get("secret")
            .is_none()
    );
    assert_eq!(app.audit("action=webhook.rotate_secret").await.len(), 1);
    let raw = app.raw_text(&TABLES).await;
    assert!(!raw.contains("whsec_"), "the rotated secrets are sealed");

    app.customer("Ada").await;
    let hits = inbox.wait_for(1).await;
    let header = &hits[0].headers["webhook-signature"];
    assert_eq!(header.split(' ').count(), 2, "{header}");
    assert!(
        signed_by(&new, &hits[0]),
        "signed with the new secret: {header}"
    );
    assert!(
        signed_by(&old, &hits[0]),
        "and, during the overlap, the old one"
    );
}

async fn without_overlap_only_the_new_secret_signs(backend: Backend) {
    let mut flags = FAST.to_vec();
    flags.extend(["--webhook-secret-overlap", "0"]);
    let app = spawn_app_with(backend, &flags).await;
    let inbox = receiver(0).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.created"])).await;
    let old = hook["secret"].as_str().expect("secret").to_owned();
    let path = format!("/webhooks/{}/rotate-secret", id_of(&hook));
    let rotated = expect_status(app.post(&path, &json!({})).await, 200).await;
    let new = rotated["secret"]
        .as_str()
        .expect("the new secret")
        .to_owned();
    app.customer("Ada").await;
    let hits = inbox.wait_for(1).await;
    verify(&new, &hits[0]);
    assert!(!signed_by(&old, &hits[0]));
}

crate::on_every_backend!(
    no_secret_is_stored_in_clear,
    rotate_keys_keeps_webhook_and_token_secrets,
    a_rotated_secret_signs_beside_the_new_one,
    without_overlap_only_the_new_secret_signs,
);
