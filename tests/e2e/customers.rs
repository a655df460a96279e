//! Customers: CRUD, upsert, search, filters, pagination, concurrency, idempotency.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, expect_problem, expect_status, id_of, spawn_app};

async fn creation_normalises_and_reads_carry_an_etag(backend: Backend) {
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
    let id = id_of(&created);
    assert_eq!(location, format!("/api/v1/customers/{id}"));
    assert_eq!(created["version"], 1);
    assert_eq!(created["lifecycle_stage"], "lead");
    assert_eq!(created["tags"], json!(["vip"]));
    assert_eq!(created["attributes"]["age"], 36);
    assert_eq!(id.chars().nth(14), Some('7'), "UUIDv7 expected: {id}");

    let response = app.get(&format!("/customers/{id}")).await;
    assert_eq!(response.headers()["etag"], "\"1\"");
    let fetched = expect_status(response, 200).await;
    assert_eq!(fetched["email"], "ada@example.com");
}

async fn if_match_guards_changes_and_deletion(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = id_of(
        &app.create_customer(json!({"name": "Ada Lovelace", "email": "ada@example.com"}))
            .await,
    );
    let path = format!("/customers/{id}");
    let changes = json!({"company": "Analytical Engines", "email": null,
                         "lifecycle_stage": "customer"});
    let response = app
        .send_if_match(Method::PATCH, &path, "\"1\"", Some(&changes))
        .await;
    let updated = expect_status(response, 200).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["company"], "Analytical Engines");
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["name"], "Ada Lovelace");
    assert_eq!(updated["lifecycle_stage"], "customer");

    // A stale version is refused and changes nothing.
    let stale = json!({"name": "Someone Else"});
    let response = app
        .send_if_match(Method::PATCH, &path, "\"1\"", Some(&stale))
        .await;
    expect_problem(response, 412, "precondition_failed").await;
    let after = app.get_customer(&id).await;
    assert_eq!(after["name"], "Ada Lovelace");
    assert_eq!(after["version"], 2);

    let response = app
        .send_if_match(Method::DELETE, &path, "\"1\"", None)
        .await;
    expect_problem(response, 412, "precondition_failed").await;
    let response = app
        .send_if_match(Method::DELETE, &path, "\"2\"", None)
        .await;
    assert_eq!(response.status(), 204);
    expect_problem(app.get(&path).await, 404, "not_found").await;
    assert_eq!(app.count("/customers").await, 0);
}

async fn upsert_by_external_id_creates_then_replaces(backend: Backend) {
    let app = spawn_app(backend).await;
    let path = "/customers/by-external-id/crm-42";
    let body = json!({"name": "Grace Hopper", "segment": "enterprise"});
    let created = expect_status(app.put(path, &body).await, 201).await;
    assert_eq!(created["external_id"], "crm-42");
    let body = json!({"name": "Grace B. Hopper", "segment": "smb"});
    let replaced = expect_status(app.put(path, &body).await, 200).await;
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["segment"], "smb");
    assert_eq!(app.count("/customers").await, 1);
    // A body naming another external id is refused.
    let body = json!({"name": "X", "external_id": "crm-43"});
    expect_problem(app.put(path, &body).await, 422, "validation_failed").await;
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
    let owner = app.admin_id().await;
    app.create_customer(json!({"name": "Alice Martin", "email": "alice@acme.io",
        "segment": "smb", "tags": ["churn-risk"]}))
        .await;
    app.create_customer(json!({"name": "Bob Stone", "company": "ACME Corp",
        "lifecycle_stage": "prospect", "owner_id": owner}))
        .await;
    app.create_customer(
        json!({"name": "Carol Diaz", "segment": "enterprise", "tags": ["vip", "churn_risk"]}),
    )
    .await;

    let cases = [
        ("q=acme", vec!["Alice Martin", "Bob Stone"]),
        ("q=DIAZ", vec!["Carol Diaz"]),
        ("segment=smb", vec!["Alice Martin"]),
        ("lifecycle_stage=prospect", vec!["Bob Stone"]),
        (&format!("owner_id={owner}"), vec!["Bob Stone"]),
        // `_` is not a wildcard: churn_risk and churn-risk are different tags.
        ("tag=churn-risk", vec!["Alice Martin"]),
        ("tag=VIP", vec!["Carol Diaz"]),
    ];
    for (query, expected) in cases {
        assert_eq!(app.customer_names(query).await, expected, "{query}");
    }
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
        let name = format!("Customer {:03}", (i * 37) % 120);
        app.create_customer(json!({"name": name})).await;
    }
    let page = app.fetch("/customers").await;
    assert_eq!(
        page["data"].as_array().unwrap().len(),
        50,
        "the default limit"
    );
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
            let page = app.fetch(&url).await;
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
    let page = app.fetch("/customers?limit=10&sort=name").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    expect_problem(
        app.get(&format!("/customers?sort=-name&cursor={cursor}"))
            .await,
        400,
        "invalid_cursor",
    )
    .await;
}

async fn a_retried_creation_is_replayed_not_repeated(backend: Backend) {
    let app = spawn_app(backend).await;
    let send = async |body: Value| {
        app.post_once(&app.token, "/customers", "key-1", &body)
            .await
    };
    let body = json!({"name": "Retry Safe"});
    let first = send(body.clone()).await;
    let first_location = first.headers()["location"].clone();
    let first = expect_status(first, 201).await;
    let second = send(body).await;
    assert_eq!(second.headers()["location"], first_location);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second = expect_status(second, 201).await;
    assert_eq!(first, second);
    assert_eq!(app.count("/customers").await, 1);

    expect_problem(
        send(json!({"name": "Another"})).await,
        422,
        "idempotency_key_reused",
    )
    .await;
    assert_eq!(app.count("/customers").await, 1);
}

async fn concurrent_retries_with_one_key_create_one_record(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"name": "Concurrent"});
    let requests = (0..8).map(|_| app.post_once(&app.token, "/customers", "key-2", &body));
    let responses = futures_util::future::join_all(requests).await;
    let mut ids = Vec::new();
    for response in responses {
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
    creation_normalises_and_reads_carry_an_etag,
    if_match_guards_changes_and_deletion,
    upsert_by_external_id_creates_then_replaces,
    search_and_filters,
    pagination_has_no_duplicates_or_gaps_and_sorts,
    a_retried_creation_is_replayed_not_repeated,
    concurrent_retries_with_one_key_create_one_record,
);
