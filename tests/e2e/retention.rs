//! The retention pruner on the real database: each kind of row goes once it
//! is older than its setting, and nothing still needed goes (pending
//! deliveries, active models, the newest inactive models, fresh rows).

use chrono::{TimeDelta, Utc};
use rapport_api::config::RetentionSettings;
use rapport_api::entities::{
    idempotency_key, login_attempt, model, model_blob, refresh_token, webhook_delivery,
};
use rapport_api::workers::retention::{Pruned, prune};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Backend, FAST, receiver, spawn_app_with};

fn settings() -> RetentionSettings {
    RetentionSettings {
        retain_idempotency_hours: 24,
        retain_deliveries_days: 30,
        retain_exposures_days: 90,
        retain_login_attempts_hours: 24,
        retain_models: 1,
        prune_interval_ms: 3_600_000,
    }
}

async fn stored_model(db: &DatabaseConnection, active: bool, age_minutes: i64) -> Uuid {
    let id = Uuid::now_v7();
    let created_at = Utc::now() - TimeDelta::minutes(age_minutes);
    let row = model::Model {
        id,
        engine: "popularity".to_owned(),
        kind: "recommender".to_owned(),
        params: json!({}),
        data_stats: json!({}),
        metrics: json!({}),
        size_bytes: 3,
        active,
        activated_at: active.then_some(created_at),
        job_id: None,
        created_at,
    };
    model::ActiveModel::from(row).insert(db).await.unwrap();
    let blob = model_blob::ActiveModel {
        model_id: Set(id),
        bytes: Set(vec![1, 2, 3]),
    };
    blob.insert(db).await.unwrap();
    id
}

async fn counts(db: &DatabaseConnection) -> [u64; 6] {
    [
        idempotency_key::Entity::find().count(db).await.unwrap(),
        webhook_delivery::Entity::find().count(db).await.unwrap(),
        login_attempt::Entity::find().count(db).await.unwrap(),
        refresh_token::Entity::find().count(db).await.unwrap(),
        model::Entity::find().count(db).await.unwrap(),
        model_blob::Entity::find().count(db).await.unwrap(),
    ]
}

async fn old_rows_are_pruned_and_needed_ones_kept(backend: Backend) {
    let app = spawn_app_with(backend, &FAST).await;
    let db = app.db().await;
    let inbox = receiver(0).await;
    let hook = app.subscribe(&inbox.url, json!(["customer.created"])).await;
    // The same event's other delivery stays pending: its endpoint is gone.
    let pending = app
        .subscribe("http://127.0.0.1:9/gone", json!(["customer.created"]))
        .await;
    let created = app
        .post_once(&app.token, "/customers", "k-1", &json!({"name": "Ada"}))
        .await;
    assert_eq!(created.status(), 201);
    app.wait_for_delivery(&hook, "succeeded").await;
    assert_eq!(
        app.try_login("nobody@example.com", "wrong").await.status(),
        401
    );
    let active = stored_model(&db, true, 90).await;
    let _oldest = stored_model(&db, false, 60).await;
    let _older = stored_model(&db, false, 30).await;
    let newest = stored_model(&db, false, 10).await;
    let before = counts(&db).await;
    assert!(before.iter().all(|n| *n > 0), "{before:?}");

    // An hour on: only the inactive models beyond the newest one go.
    let now = Utc::now();
    let pruned = prune(&db, &settings(), now + TimeDelta::hours(1))
        .await
        .unwrap();
    let models_only = Pruned {
        models: 2,
        ..Pruned::default()
    };
    assert_eq!(pruned, models_only);
    let models = app.list_all("/models?engine=popularity").await;
    let mut left: Vec<&str> = models.iter().map(|m| m["id"].as_str().unwrap()).collect();
    left.sort();
    let mut expected = [active.to_string(), newest.to_string()];
    expected.sort();
    assert_eq!(left, expected);

    // Two days on: replies and sign-in attempts are past their 24 hours.
    let pruned = prune(&db, &settings(), now + TimeDelta::days(2))
        .await
        .unwrap();
    assert_eq!(pruned.idempotency_keys, before[0]);
    assert_eq!(pruned.login_attempts, before[2]);
    assert_eq!(
        (pruned.deliveries, pruned.refresh_tokens, pruned.models),
        (0, 0, 0)
    );

    // Sixty days on: finished deliveries and expired refresh tokens go; the
    // pending delivery, the active and the newest model stay.
    let pruned = prune(&db, &settings(), now + TimeDelta::days(60))
        .await
        .unwrap();
    assert!(
        pruned.deliveries >= 1 && pruned.refresh_tokens >= 1,
        "{pruned:?}"
    );
    let [keys, deliveries, attempts, tokens, models, blobs] = counts(&db).await;
    assert_eq!([keys, attempts, tokens], [0, 0, 0]);
    assert_eq!([models, blobs], [2, 2]);
    assert!(deliveries >= 1);
    let log = app.deliveries(&pending).await;
    assert!(
        !log.is_empty() && log.iter().all(|d| d["status"] == "pending"),
        "{log:?}"
    );
    assert!(app.deliveries(&hook).await.is_empty());
}

crate::on_every_backend!(old_rows_are_pruned_and_needed_ones_kept);
