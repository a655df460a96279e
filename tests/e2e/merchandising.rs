//! What merchandisers and customers do to the lists: stored rules (hide,
//! boost, bury, pin, each within its validity period, with a reason entry
//! per moved item), `not_interested` dismissals and diversity.
//! Every test starts on a copy of the trained database (`spawn_trained`).

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, eventually, expect_problem, expect_status, listed, spawn_replica,
    spawn_trained,
};

/// Every item by popularity, seen ones included.
const EVERYTHING: &str = "engine=popularity&exclude_seen=false&k=12";

/// The categories of a list's items, in order.
async fn categories(app: &TestApp, list: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for id in listed(list) {
        let item = app.fetch(&format!("/items/{id}")).await;
        out.push(item["category"].as_str().unwrap().to_owned());
    }
    out
}

/// The actions of the rules that moved entry `at` of `list`.
fn moved_by(list: &Value, at: usize) -> Vec<String> {
    list["items"][at]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn each_rule_kind_moves_the_items_it_targets(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customer = &trained.catalogue.customers[4];
    let baseline = app.recommend(customer, EVERYTHING).await;
    let order = listed(&baseline);
    assert_eq!(order.len(), 12, "{baseline}");
    let groups = categories(&app, &baseline).await;
    assert!(moved_by(&baseline, 0).is_empty());

    // Bury the top item's category: its four items sink to the bottom.
    let bury = app
        .create(
            "/recommendation-rules",
            &json!({"name": "Clear group", "action": "bury", "category": groups[0], "factor": 1000}),
        )
        .await;
    assert_eq!(bury["in_force"], true, "{bury}");
    let buried = app.recommend(customer, EVERYTHING).await;
    let buried_groups = categories(&app, &buried).await;
    assert!(
        buried_groups[8..].iter().all(|g| *g == groups[0]),
        "{buried_groups:?}"
    );
    assert!(
        buried_groups[..8].iter().all(|g| *g != groups[0]),
        "{buried_groups:?}"
    );
    assert_eq!(moved_by(&buried, 11), ["bury"]);
    assert_eq!(buried["items"][11]["rules"][0]["rule_id"], bury["id"]);
    assert!(moved_by(&buried, 0).is_empty());
    app.remove(&format!(
        "/recommendation-rules/{}",
        bury["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(listed(&app.recommend(customer, EVERYTHING).await), order);

    // Boost the last item's category: its four items rise to the top.
    let last_group = groups[11].clone();
    app.create(
        "/recommendation-rules",
        &json!({"name": "Push", "action": "boost", "category": last_group, "factor": 1000}),
    )
    .await;
    let boosted = app.recommend(customer, EVERYTHING).await;
    let boosted_groups = categories(&app, &boosted).await;
    assert!(
        boosted_groups[..4].iter().all(|g| *g == last_group),
        "{boosted_groups:?}"
    );
    assert_eq!(moved_by(&boosted, 0), ["boost"]);

    // Hide by tag and by item.
    for id in &order[..2] {
        app.update_item(id, json!({"tags": ["Clearance"]})).await;
    }
    app.create(
        "/recommendation-rules",
        &json!({"name": "No clearance", "action": "hide", "tag": "clearance"}),
    )
    .await;
    app.create(
        "/recommendation-rules",
        &json!({"name": "Recalled", "action": "hide", "item_id": order[2]}),
    )
    .await;
    let hidden = listed(&app.recommend(customer, EVERYTHING).await);
    assert_eq!(hidden.len(), 9, "{hidden:?}");
    assert!(
        order[..3].iter().all(|id| !hidden.contains(id)),
        "{hidden:?}"
    );

    // Pin the least popular item at position 2 of a list of 5.
    let pinned = order[11].clone();
    app.create(
        "/recommendation-rules",
        &json!({"name": "Feature", "action": "pin", "item_id": pinned, "position": 2}),
    )
    .await;
    let list = app
        .recommend(customer, "engine=popularity&exclude_seen=false&k=5")
        .await;
    assert_eq!(listed(&list).len(), 5, "{list}");
    assert_eq!(listed(&list)[1], pinned, "{list}");
    assert!(moved_by(&list, 1).contains(&"pin".to_owned()), "{list}");
    // A pin respects the customer's exclusions: a seen item is not pinned
    // into a list of unseen items.
    app.record_interaction(json!({"customer_id": customer, "item_id": pinned, "kind": "view"}))
        .await;
    let unseen = listed(&app.recommend(customer, "engine=popularity&k=5").await);
    assert!(!unseen.contains(&pinned), "{unseen:?}");
}

async fn rules_apply_only_within_their_validity_period(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customer = &trained.catalogue.customers[4];
    let order = listed(&app.recommend(customer, EVERYTHING).await);
    let now = Utc::now();
    let past = app
        .create(
            "/recommendation-rules",
            &json!({"name": "Over", "action": "hide", "item_id": order[0],
                    "starts_at": now - TimeDelta::days(10), "ends_at": now - TimeDelta::days(1)}),
        )
        .await;
    assert_eq!(past["in_force"], false);
    let future = app
        .create(
            "/recommendation-rules",
            &json!({"name": "Soon", "action": "hide", "item_id": order[1],
                    "starts_at": now + TimeDelta::days(1)}),
        )
        .await;
    assert_eq!(future["in_force"], false);
    let paused = app
        .create(
            "/recommendation-rules",
            &json!({"name": "Paused", "action": "hide", "item_id": order[2], "active": false}),
        )
        .await;
    assert_eq!(listed(&app.recommend(customer, EVERYTHING).await), order);
    // Bringing the period to now puts the rule in force.
    let path = format!("/recommendation-rules/{}", future["id"].as_str().unwrap());
    let changed = app.change(&path, &json!({"starts_at": null})).await;
    assert_eq!(changed["in_force"], true, "{changed}");
    assert_eq!(changed["version"], 2);
    let without = listed(&app.recommend(customer, EVERYTHING).await);
    assert!(!without.contains(&order[1]), "{without:?}");
    assert!(without.contains(&order[0]) && without.contains(&order[2]));
    // A stale version is refused.
    let paused_path = format!("/recommendation-rules/{}", paused["id"].as_str().unwrap());
    let stale = app
        .send_if_match(
            Method::PATCH,
            &paused_path,
            "\"7\"",
            Some(&json!({"active": true})),
        )
        .await;
    expect_problem(stale, 412, "precondition_failed").await;
    assert_eq!(app.list_all("/recommendation-rules").await.len(), 3);
}

async fn rules_are_checked_and_reserved_to_merchandisers(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let item = &trained.catalogue.items[0];
    for (body, field) in [
        (
            json!({"name": "b", "action": "boost", "category": "group-0"}),
            "factor",
        ),
        (
            json!({"name": "b", "action": "bury", "category": "group-0", "factor": 0.5}),
            "factor",
        ),
        (
            json!({"name": "p", "action": "pin", "category": "group-0", "position": 1}),
            "item_id",
        ),
        (
            json!({"name": "p", "action": "pin", "item_id": item, "position": 0}),
            "position",
        ),
        (json!({"name": "h", "action": "hide"}), "item_id"),
        (
            json!({"name": "h", "action": "hide", "tag": "x", "category": "y"}),
            "item_id",
        ),
        (
            json!({"name": "h", "action": "hide", "tag": "x", "factor": 2}),
            "factor",
        ),
        (json!({"name": "", "action": "hide", "tag": "x"}), "name"),
    ] {
        let problem = expect_problem(
            app.post("/recommendation-rules", &body).await,
            422,
            "validation_failed",
        )
        .await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{body}: {problem}");
    }
    let unknown = json!({"name": "x", "action": "promote", "tag": "x"});
    let response = app.post("/recommendation-rules", &unknown).await;
    assert_eq!(response.status(), 422, "an unknown action is refused");
    assert!(
        app.list_all("/recommendation-rules").await.is_empty(),
        "nothing was stored"
    );

    let rule = json!({"name": "Feature", "action": "pin", "item_id": item, "position": 1});
    for (role, status) in [
        ("sales", 403),
        ("analyst", 403),
        ("support", 403),
        ("marketing", 201),
        ("manager", 201),
    ] {
        let person = app.user(role, None).await;
        let response = app
            .post_as(&person.token, "/recommendation-rules", &rule)
            .await;
        expect_status(response, status).await;
    }
    let sales = app.user("sales", None).await;
    expect_status(app.get_as(&sales.token, "/recommendation-rules").await, 403).await;
    let audited = app
        .audited_actions("action=recommendation_rule.create")
        .await;
    assert_eq!(audited.len(), 2, "{audited:?}");
}

/// A dismissed item never comes back to that customer, seen items included
/// or not, on this replica and on another; others still get it.
async fn not_interested_hides_an_item_for_that_customer(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customers = &trained.catalogue.customers;
    let (customer, other) = (&customers[4], &customers[7]);
    let top = listed(&app.recommend(customer, "k=3").await)[0].clone();
    assert!(listed(&app.recommend(other, "k=12&exclude_seen=false").await).contains(&top));
    app.record_interaction(
        json!({"customer_id": customer, "item_id": top, "kind": "not_interested"}),
    )
    .await;
    for query in ["k=12", "k=12&exclude_seen=false", EVERYTHING] {
        let list = listed(&app.recommend(customer, query).await);
        assert!(!list.contains(&top), "{query}: {list:?}");
    }
    assert!(listed(&app.recommend(other, "k=12&exclude_seen=false").await).contains(&top));
    let weights = app.fetch("/interaction-weights").await;
    assert_eq!(weights["weights"]["not_interested"], 0.0, "{weights}");

    let replica = spawn_replica(&app).await;
    eventually(
        "the replica hides the dismissed item",
        Duration::from_secs(10),
        async || {
            let list = listed(&replica.recommend(customer, "k=12&exclude_seen=false").await);
            !list.is_empty() && !list.contains(&top)
        },
    )
    .await;
}

/// With diversity 1 and an engine that knows no item similarity, each next
/// item is of a category not yet listed.
async fn diversity_spreads_the_list(backend: Backend) {
    let (app, trained) = spawn_trained(backend).await;
    let customer = &trained.catalogue.customers[4];
    let plain = app
        .recommend(customer, "engine=popularity&exclude_seen=false&k=3")
        .await;
    let varied = app
        .recommend(
            customer,
            "engine=popularity&exclude_seen=false&k=3&diversity=1",
        )
        .await;
    let mut groups = categories(&app, &varied).await;
    assert_eq!(groups.len(), 3);
    groups.sort();
    groups.dedup();
    assert_eq!(groups.len(), 3, "{varied}");
    assert_eq!(
        listed(&plain)[0],
        listed(&varied)[0],
        "the best item stays first"
    );
    let similar = app.recommend(customer, "k=3&diversity=0.5").await;
    assert!(!listed(&similar).is_empty(), "{similar}");
    let path = format!("/customers/{customer}/recommendations?diversity=1.5");
    expect_problem(app.get(&path).await, 422, "validation_failed").await;
}

crate::on_every_backend!(
    each_rule_kind_moves_the_items_it_targets,
    rules_apply_only_within_their_validity_period,
    rules_are_checked_and_reserved_to_merchandisers,
    not_interested_hides_an_item_for_that_customer,
    diversity_spreads_the_list,
);
