//! Customers: CRUD, upsert, search, filters, pagination, concurrency, idempotency.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, expect_problem, expect_status, spawn_app};

async fn crud_with_etag_and_if_match(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .post(
            "/customers",
            &json!({"name": "Ada Lovelace", "email": "ada@example.com", "tags": ["VIP", "vip"],
                    "attributes": {"age": 36, "plan": "pro", "newsletter": true}}),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created = expect_status(response, 201).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/customers/{id}"));
    assert_eq!(created["version"], 1);
    assert_eq!(created["lifecycle_stage"], "lead");
    assert_eq!(created["tags"], json!(["vip"]));
    assert_eq!(id.chars().nth(14), Some('7'), "UUIDv7 expected: {id}");

    let response = app.get(&format!("/customers/{id}")).await;
    assert_eq!(response.headers()["etag"], "\"1\"");
    let fetched = expect_status(response, 200).await;
    assert_eq!(fetched["email"], "ada@example.com");

    let updated = expect_status(
        app.request(Method::PATCH, &format!("/customers/{id}"))
            .header("If-Match", "\"1\"")
            .json(&json!({"company": "Analytical Engines", "email": null, "lifecycle_stage": "customer"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["company"], "Analytical Engines");
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["name"], "Ada Lovelace");
    assert_eq!(updated["lifecycle_stage"], "customer");

    // A stale version is refused and changes nothing.
    expect_problem(
        app.request(Method::PATCH, &format!("/customers/{id}"))
            .header("If-Match", "\"1\"")
            .json(&json!({"name": "Someone Else"}))
            .send()
            .await
            .unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    let after = expect_status(app.get(&format!("/customers/{id}")).await, 200).await;
    assert_eq!(after["name"], "Ada Lovelace");
    assert_eq!(after["version"], 2);

    expect_problem(
        app.request(Method::DELETE, &format!("/customers/{id}"))
            .header("If-Match", "\"1\"")
            .send()
            .await
            .unwrap(),
        412,
        "precondition_failed",
    )
    .await;
    let response = app
        .request(Method::DELETE, &format!("/customers/{id}"))
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    expect_problem(app.get(&format!("/customers/{id}")).await, 404, "not_found").await;
    assert_eq!(app.count("/customers").await, 0);
}

async fn upsert_by_external_id_creates_then_replaces(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"name": "Grace Hopper", "segment": "enterprise"});
    let created = expect_status(
        app.request(Method::PUT, "/customers/by-external-id/crm-42")
            .json(&body)
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(created["external_id"], "crm-42");
    let replaced = expect_status(
        app.request(Method::PUT, "/customers/by-external-id/crm-42")
            .json(&json!({"name": "Grace B. Hopper", "segment": "smb"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["segment"], "smb");
    assert_eq!(app.count("/customers").await, 1);
    // A body naming another external id is refused.
    expect_problem(
        app.request(Method::PUT, "/customers/by-external-id/crm-42")
            .json(&json!({"name": "X", "external_id": "crm-43"}))
            .send()
            .await
            .unwrap(),
        422,
        "validation_failed",
    )
    .await;
    // The external id is unique.
    expect_problem(
        app.post(
            "/customers",
            &json!({"name": "Dup", "external_id": "crm-42"}),
        )
        .await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(app.count("/customers").await, 1);
}

async fn search_and_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = expect_status(app.get("/me").await, 200).await["id"].clone();
    app.create("/customers", &json!({"name": "Alice Martin", "email": "alice@acme.io", "segment": "smb", "tags": ["churn-risk"]})).await;
    app.create("/customers", &json!({"name": "Bob Stone", "company": "ACME Corp", "lifecycle_stage": "prospect", "owner_id": owner})).await;
    app.create(
        "/customers",
        &json!({"name": "Carol Diaz", "segment": "enterprise", "tags": ["vip", "churn_risk"]}),
    )
    .await;

    let names = |rows: Vec<Value>| {
        let mut names: Vec<String> = rows
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(app.list_all("/customers?q=acme").await),
        ["Alice Martin", "Bob Stone"]
    );
    assert_eq!(
        names(app.list_all("/customers?q=DIAZ").await),
        ["Carol Diaz"]
    );
    assert_eq!(
        names(app.list_all("/customers?segment=smb").await),
        ["Alice Martin"]
    );
    assert_eq!(
        names(app.list_all("/customers?lifecycle_stage=prospect").await),
        ["Bob Stone"]
    );
    assert_eq!(
        names(
            app.list_all(&format!("/customers?owner_id={}", owner.as_str().unwrap()))
                .await
        ),
        ["Bob Stone"]
    );
    // `_` is not a wildcard: churn_risk and churn-risk are different tags.
    assert_eq!(
        names(app.list_all("/customers?tag=churn-risk").await),
        ["Alice Martin"]
    );
    assert_eq!(
        names(app.list_all("/customers?tag=VIP").await),
        ["Carol Diaz"]
    );
    assert_eq!(app.count("/customers?q=%25").await, 0);
    assert_eq!(
        app.count("/customers?updated_since=2000-01-01T00:00:00Z")
            .await,
        3
    );
    assert_eq!(
        app.count("/customers?updated_since=2999-01-01T00:00:00Z")
            .await,
        0
    );
}

async fn pagination_has_no_duplicates_or_gaps_and_sorts(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..120 {
        app.create(
            "/customers",
            &json!({"name": format!("Customer {:03}", (i * 37) % 120)}),
        )
        .await;
    }
    let page: Value = expect_status(app.get("/customers?limit=50").await, 200).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 50);
    assert!(page["next_cursor"].is_string());

    for sort in ["name", "-name", "created_at", "-created_at", "updated_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let url = match &cursor {
                Some(c) => format!("/customers?limit=50&sort={sort}&cursor={c}"),
                None => format!("/customers?limit=50&sort={sort}"),
            };
            let page: Value = expect_status(app.get(&url).await, 200).await;
            pages += 1;
            seen.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["name"].as_str().unwrap().to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3, "{sort}");
        assert_eq!(seen.len(), 120, "{sort}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 120, "duplicates with sort {sort}");
        if sort == "name" {
            assert_eq!(seen, unique);
        }
        if sort == "-name" {
            let mut reversed = unique.clone();
            reversed.reverse();
            assert_eq!(seen, reversed);
        }
    }
    // A cursor made for one sort is refused for another.
    let page: Value = expect_status(app.get("/customers?limit=10&sort=name").await, 200).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    expect_problem(
        app.get(&format!("/customers?sort=-name&cursor={cursor}"))
            .await,
        400,
        "invalid_cursor",
    )
    .await;
}

async fn idempotent_creation(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"name": "Retry Safe"});
    let send = |body: Value| {
        app.request(Method::POST, "/customers")
            .header("Idempotency-Key", "key-1")
            .json(&body)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    let first_location = first.headers()["location"].clone();
    let first = expect_status(first, 201).await;
    let second = send(body.clone()).await.unwrap();
    assert_eq!(second.headers()["location"], first_location);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second = expect_status(second, 201).await;
    assert_eq!(first, second);
    assert_eq!(app.count("/customers").await, 1);

    expect_problem(
        send(json!({"name": "Another"})).await.unwrap(),
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(app.count("/customers").await, 1);

    // Concurrent retries with one key still create one record.
    let key_body = json!({"name": "Concurrent"});
    let requests = (0..8).map(|_| {
        app.request(Method::POST, "/customers")
            .header("Idempotency-Key", "key-2")
            .json(&key_body)
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = Vec::new();
    for response in responses {
        let response = response.unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert!(
            status == 201 || (status == 409 && body["code"] == "idempotency_key_in_use"),
            "{status} {body}"
        );
        if status == 201 {
            ids.push(body["id"].clone());
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count("/customers?q=concurrent").await, 1);
}

crate::on_every_backend!(
    crud_with_etag_and_if_match,
    upsert_by_external_id_creates_then_replaces,
    search_and_filters,
    pagination_has_no_duplicates_or_gaps_and_sorts,
    idempotent_creation
);
