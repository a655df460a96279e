//! Every `ErrorCode` is documented in the OpenAPI document and produced by a
//! test; the codes no other scenario reaches are produced here.

use rapport_api::domain::ErrorCode;
use rapport_api::entities::customer;
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{Backend, expect_problem, expect_status, spawn_app};
use crate::predictions::{seed, train};

async fn a_deleted_external_id_cannot_be_upserted(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .create(
            "/customers",
            &json!({"name": "Ada", "external_id": "crm-1"}),
        )
        .await;
    let path = format!("/customers/{}", created["id"].as_str().unwrap());
    expect_status(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        204,
    )
    .await;
    expect_problem(
        app.request(Method::PUT, "/customers/by-external-id/crm-1")
            .json(&json!({"name": "Ada again"}))
            .send()
            .await
            .unwrap(),
        409,
        "deleted",
    )
    .await;
}

async fn an_item_with_interactions_cannot_be_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, items) = seed(&app).await;
    let path = format!("/items/{}", items[0]);
    expect_problem(
        app.request(Method::DELETE, &path).send().await.unwrap(),
        409,
        "item_in_use",
    )
    .await;
    expect_status(app.get(&path).await, 200).await;
}

async fn predictions_refuse_what_the_model_does_not_know(backend: Backend) {
    let app = spawn_app(backend).await;
    let (customers, _) = seed(&app).await;
    train(&app, "item_item", json!({"activate": true})).await;
    let newcomer = app
        .create("/items", &json!({"sku": "NEW-1", "name": "Newcomer"}))
        .await;
    expect_problem(
        app.get(&format!(
            "/items/{}/similar?engine=item_item",
            newcomer["id"].as_str().unwrap()
        ))
        .await,
        409,
        "item_unknown_to_model",
    )
    .await;

    train(
        &app,
        "logistic",
        json!({"params": {"label": "churn=Yes"}, "activate": true}),
    )
    .await;
    let path = format!("/customers/{}", customers[1]);
    expect_status(
        app.patch(
            &path,
            &json!({"attributes": {"tenure_months": "long", "contract": "yearly", "churn": "No"}}),
        )
        .await,
        200,
    )
    .await;
    let problem = expect_problem(app.get(&format!("{path}/scores")).await, 422, "unscorable").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("tenure_months"),
        "{problem}"
    );
}

async fn an_unreadable_stored_value_is_an_internal_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.create("/customers", &json!({"name": "Ada"})).await;
    let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let db = crate::people::db(&app).await;
    customer::Entity::update_many()
        .col_expr(customer::Column::LifecycleStage, Expr::value("vip"))
        .filter(customer::Column::Id.eq(id))
        .exec(&db)
        .await
        .unwrap();
    let problem = expect_problem(
        app.get(&format!("/customers/{id}")).await,
        500,
        "internal_error",
    )
    .await;
    assert!(
        !problem["detail"].as_str().unwrap().contains("vip"),
        "the cause is logged, not shown: {problem}"
    );
    // The listing refuses too, rather than showing the customer as a lead.
    expect_problem(app.get("/customers").await, 500, "internal_error").await;
}

crate::on_every_backend!(
    a_deleted_external_id_cannot_be_upserted,
    an_item_with_interactions_cannot_be_deleted,
    predictions_refuse_what_the_model_does_not_know,
    an_unreadable_stored_value_is_an_internal_error,
);

/// The source of every test: the end-to-end tests and the service's unit tests.
fn test_sources() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut text = String::new();
    let mut pending = vec![root.join("tests/e2e"), root.join("api/src")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                // Unit tests of the service live after `#[cfg(test)]`.
                let tests = if path.starts_with(root.join("api")) {
                    source.split_once("#[cfg(test)]").map_or("", |(_, t)| t)
                } else {
                    source.as_str()
                };
                text.push_str(tests);
            }
        }
    }
    text
}

/// In the style of lemmy's error-type test: a code nobody documents or
/// produces is a defect.
#[test]
fn every_error_code_is_documented_and_produced_by_a_test() {
    let document: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let documented: Vec<&str> = document["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let tests = test_sources();
    let mut missing = Vec::new();
    for code in ErrorCode::ALL {
        if !documented.contains(&code.as_str()) {
            missing.push(format!("{code}: not in openapi/openapi.json"));
        }
        // An end-to-end test expects it by name, or a unit test by variant.
        let by_name = format!("\"{}\"", code.as_str());
        let by_variant = format!("ErrorCode::{code:?}");
        if !tests.contains(&by_name) && !tests.contains(&by_variant) {
            missing.push(format!("{code}: no test produces it"));
        }
    }
    assert_eq!(documented.len(), ErrorCode::ALL.len(), "{documented:?}");
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
