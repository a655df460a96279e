//! What erasure reaches beyond the customer's rows: stored idempotent
//! replies that repeated their data are scrubbed (a retry with the same key
//! neither gets the data back nor creates again), and subscribers are told
//! with a `customer.erased` event that carries ids only.

use serde_json::{Value, json};

use crate::helpers::{Backend, FAST, expect_status, id_of, receiver, spawn_app_with, verify};

const NAME: &str = "Zelda Zimmermann";
const EMAIL: &str = "zelda.z@example.com";
const NOTE: &str = "Zelda wants the blue one delivered to her flat";

async fn erasure_scrubs_stored_replies_and_tells_subscribers(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let inbox = receiver(0).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.erased"])).await;
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    let customer_body = json!({"name": NAME, "email": EMAIL, "phone": "555-0123"});
    let created = app
        .post_once(&app.token, "/customers", "customer-1", &customer_body)
        .await;
    let id = id_of(&expect_status(created, 201).await);
    let item = app.item("LAMP-1", "Blue lamp").await;
    let interaction_body =
        json!({"customer_id": id, "item_id": item, "kind": "purchase", "note": NOTE});
    let recorded = app
        .post_once(
            &app.token,
            "/interactions",
            "interaction-1",
            &interaction_body,
        )
        .await;
    expect_status(recorded, 201).await;
    let before = app.raw_text(&["idempotency_keys"]).await;
    assert!(
        before.contains(NOTE),
        "the reply was stored (the test sees it)"
    );

    app.erase_customer(&id).await;

    let again = app
        .post_once(&app.token, "/customers", "customer-1", &customer_body)
        .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let replayed: Value = expect_status(again, 201).await;
    let text = replayed.to_string();
    assert!(!text.contains("Zelda") && !text.contains(EMAIL), "{text}");
    assert_eq!(replayed["erased"], true, "{text}");
    assert_eq!(replayed["customer_id"], id.as_str(), "{text}");
    // The interaction's key is claimed first: its scrubbed reply comes back.
    let again = app
        .post_once(
            &app.token,
            "/interactions",
            "interaction-1",
            &interaction_body,
        )
        .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let text = again.text().await.expect("a body");
    assert!(!text.contains(NOTE) && !text.contains("Zelda"), "{text}");
    assert!(text.contains("\"erased\":true"), "{text}");
    assert_eq!(app.count("/customers").await, 0, "a retry created nothing");
    let raw = app.raw_text(&["idempotency_keys"]).await;
    if backend_is_postgres(&app) {
        // SQLite's file may keep freed pages until they are reused; the rows are checked there.
        assert!(!raw.contains("Zelda") && !raw.contains(EMAIL), "{raw}");
    }
    let rows = stored_replies(&app).await;
    for text in [NAME, EMAIL, NOTE, "555-0123"] {
        assert!(
            !rows.contains(text),
            "{text} left in a stored reply: {rows}"
        );
    }

    let hits = inbox.wait_for(1).await;
    assert_eq!(hits.len(), 1, "one customer.erased event");
    verify(&secret, &hits[0]);
    let event = hits[0].json();
    assert_eq!(event["type"], "customer.erased");
    let data = event["data"].as_object().expect("data");
    let mut fields: Vec<&str> = data.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(fields, ["customer_id", "erased_at"], "ids only: {event}");
    assert_eq!(data["customer_id"], id.as_str());
    assert!(!hits[0].body.contains("Zelda") && !hits[0].body.contains(EMAIL));
}

/// Every text column of `idempotency_keys`, read with plain SQL.
async fn stored_replies(app: &crate::helpers::TestApp) -> String {
    use sea_orm::ConnectionTrait;
    let db = app.db().await;
    let statement = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT actor, key, scope, request_hash, location, body FROM idempotency_keys",
    );
    let mut text = String::new();
    for row in db
        .query_all_raw(statement)
        .await
        .expect("read idempotency_keys")
    {
        for column in ["actor", "key", "scope", "request_hash", "location", "body"] {
            let value: Option<String> = row.try_get("", column).expect("a text column");
            text.push_str(&value.unwrap_or_default());
            text.push('\n');
        }
    }
    text
}

fn backend_is_postgres(app: &crate::helpers::TestApp) -> bool {
    app.database_url.starts_with("postgres")
}

crate::on_every_backend!(erasure_scrubs_stored_replies_and_tells_subscribers);
