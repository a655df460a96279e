//! The synthetic demo data set behind `rapport serve --demo`: customers in
//! segments with a churn label that depends on their attributes and
//! behaviour, a catalogue in categories, and a year of interactions with
//! structure the engines can learn (segment tastes, items bought together).
//! Seeded once into an empty database; then every engine is trained on it
//! and every recommender tuned.

pub mod recommendations;
pub mod workflows;

use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rapport_core::KindWeights;
use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Map, json};
use uuid::Uuid;

use crate::domain::customer::{CustomerFields, NewCustomer};
use crate::domain::item::{ItemFields, NewItem};
use crate::domain::{DomainError, LifecycleStage};
use crate::entities::{customer, interaction, item, model};
use crate::ml::{catalogue, jobs, train};
use crate::services::Context;
use crate::services::audit::Actor;
use crate::services::import::{self, ImportEffects, ImportSummary};

const CUSTOMERS: usize = 400;
const ITEMS_PER_CATEGORY: usize = 25;
const CATEGORIES: [(&str, &[&str], &[&str]); 8] = [
    (
        "coffee",
        &[
            "Espresso",
            "Arabica",
            "Colombian",
            "Ethiopian",
            "Dark roast",
        ],
        &["beans", "roast", "crema", "aroma"],
    ),
    (
        "tea",
        &["Green", "Earl Grey", "Oolong", "Chamomile", "Darjeeling"],
        &["leaves", "infusion", "steep", "herbal"],
    ),
    (
        "kitchen",
        &["Ceramic", "Steel", "Glass", "Bamboo", "Copper"],
        &["mug", "kettle", "grinder", "press"],
    ),
    (
        "books",
        &["Cookbook", "Travel guide", "Novel", "Biography", "Atlas"],
        &["pages", "hardcover", "chapter", "author"],
    ),
    (
        "fitness",
        &["Yoga", "Running", "Cycling", "Climbing", "Rowing"],
        &["mat", "shoes", "gloves", "bottle"],
    ),
    (
        "garden",
        &["Herb", "Tomato", "Rose", "Cactus", "Bonsai"],
        &["seeds", "pot", "soil", "planter"],
    ),
    (
        "audio",
        &[
            "Wireless",
            "Studio",
            "Portable",
            "Noise-cancelling",
            "Vintage",
        ],
        &["headphones", "speaker", "turntable", "microphone"],
    ),
    (
        "office",
        &["Ergonomic", "Standing", "Leather", "Minimal", "Modular"],
        &["desk", "chair", "notebook", "lamp"],
    ),
];
const SEGMENTS: [(&str, [usize; 3]); 4] = [
    ("students", [3, 4, 6]),
    ("families", [2, 5, 1]),
    ("professionals", [0, 7, 6]),
    ("retirees", [1, 3, 5]),
];
const CONTRACTS: [&str; 3] = ["month-to-month", "one-year", "two-year"];

/// Seeds the demo data set into an empty database (no customers yet),
/// through the same services as `rapport import`: customers and items
/// upserted by their keys, interactions recorded (the demo's own
/// automations are not run on its history), and the run audited.
pub async fn seed(db: &DatabaseConnection) -> Result<(), anyhow::Error> {
    if customer::Entity::find().count(db).await? > 0 {
        tracing::info!("demo: data already present, not seeding");
        return Ok(());
    }
    let ctx = Context::for_system(db, Actor::system());
    let mut rng = StdRng::seed_from_u64(20_261_123);
    let now = Utc::now();
    let items = catalogue_items(&mut rng)?;
    let customers = customers(&mut rng)?;
    import::upsert_items(&ctx, &items).await?;
    let new_customers: Vec<NewCustomer> = customers.iter().map(|(c, _)| c.clone()).collect();
    import::upsert_customers(&ctx, &new_customers).await?;
    let ids = StoredIds::read(db).await?;
    let log = interactions(&mut rng, &customers, &items, &ids, now)?;
    let effects = ImportEffects {
        run_automations: false,
        emit_events: false,
    };
    let count = log.len();
    import::record_interactions(&ctx, log, effects).await?;
    let summary = ImportSummary {
        kind: "demo".to_owned(),
        file: "rapport serve --demo".to_owned(),
        sha256: String::new(),
        read: customers.len() + items.len() + count,
        written: customers.len() + items.len() + count,
        skipped: 0,
        skipped_by_reason: Vec::new(),
        first_errors: Vec::new(),
    };
    import::completed(&ctx, &summary).await?;
    workflows::seed(db).await?;
    let churned: Vec<Uuid> = customers
        .iter()
        .filter(|(c, _)| c.fields().attributes["churn"] == "Yes")
        .filter_map(|(c, _)| ids.customer(c))
        .take(12)
        .collect();
    let workflows = workflows::seed_instances(db, &churned).await?;
    recommendations::seed_rules(db).await?;
    tracing::info!(
        customers = customers.len(),
        items = items.len(),
        interactions = count,
        workflows,
        "demo: seeded"
    );
    Ok(())
}

/// The ids the store gave the demo's customers and items, by their keys.
struct StoredIds {
    customers: HashMap<String, Uuid>,
    items: HashMap<String, Uuid>,
}

impl StoredIds {
    async fn read(db: &DatabaseConnection) -> Result<Self, anyhow::Error> {
        let customers = customer::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .filter_map(|c| Some((c.external_id?, c.id)))
            .collect();
        let items = item::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.sku, i.id))
            .collect();
        Ok(Self { customers, items })
    }

    fn customer(&self, customer: &NewCustomer) -> Option<Uuid> {
        let key = customer.fields().external_id.as_ref()?;
        self.customers.get(key).copied()
    }

    fn item(&self, item: &NewItem) -> Result<Uuid, anyhow::Error> {
        let sku = &item.fields().sku;
        self.items
            .get(sku)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("demo item {sku} was not stored"))
    }
}

fn catalogue_items(rng: &mut StdRng) -> Result<Vec<NewItem>, DomainError> {
    let mut out = Vec::new();
    for (c, (category, adjectives, nouns)) in CATEGORIES.iter().enumerate() {
        for i in 0..ITEMS_PER_CATEGORY {
            let adjective = adjectives[i % adjectives.len()];
            let noun = nouns[(i / adjectives.len()) % nouns.len()];
            let price = (5.0 + rng.random_range(0.0..95.0_f64)).round();
            let tags = vec![category.to_string(), noun.to_string()];
            out.push(NewItem::try_from(ItemFields {
                sku: format!(
                    "{}-{:03}",
                    category[..3].to_uppercase(),
                    c * ITEMS_PER_CATEGORY + i
                ),
                name: format!("{adjective} {noun}"),
                category: Some((*category).to_owned()),
                tags,
                description: Some(format!(
                    "A {} {noun} for {category} lovers: {} and {}.",
                    adjective.to_lowercase(),
                    nouns[(i + 1) % nouns.len()],
                    nouns[(i + 2) % nouns.len()]
                )),
                price,
                attributes: object(json!({"bundle": i / 2})),
                active: true,
            })?);
        }
    }
    Ok(out)
}

/// The fields of a JSON object literal.
fn object(value: serde_json::Value) -> Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Customers with the segment index each belongs to.
fn customers(rng: &mut StdRng) -> Result<Vec<(NewCustomer, usize)>, DomainError> {
    const FIRST: [&str; 12] = [
        "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances",
        "John", "Radia", "Tim",
    ];
    const LAST: [&str; 10] = [
        "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson",
        "Allen", "Backus",
    ];
    (0..CUSTOMERS)
        .map(|i| {
            let segment = i % SEGMENTS.len();
            let contract = CONTRACTS[rng.random_range(0..3)];
            let tenure: i64 = rng.random_range(1..72);
            let support_calls: i64 = rng.random_range(0..6);
            let monthly = (20.0 + rng.random_range(0.0..100.0_f64)).round();
            let logit =
                -1.6 + if contract == "month-to-month" {
                    1.6
                } else {
                    -0.4
                } - 0.03 * tenure as f64
                    + 0.45 * support_calls as f64
                    + 0.015 * (monthly - 70.0);
            let churned = rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp());
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len()) % LAST.len()];
            let name = format!("{first} {last}");
            let email = format!(
                "{}.{}{}@example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i
            );
            let fields = CustomerFields {
                external_id: Some(format!("demo-{i:04}")),
                name,
                email: Some(email),
                phone: Some(format!("+44 20 7946 {:04}", i)),
                company: None,
                segment: Some(SEGMENTS[segment].0.to_owned()),
                lifecycle_stage: Some(LifecycleStage::Customer),
                owner_id: None,
                tags: Vec::new(),
                attributes: object(json!({
                    "age": rng.random_range(18..80),
                    "tenure_months": tenure,
                    "contract": contract,
                    "monthly_charges": monthly,
                    "support_calls": support_calls,
                    "churn": if churned { "Yes" } else { "No" },
                })),
            };
            Ok((NewCustomer::try_from(fields)?, segment))
        })
        .collect()
}

fn interactions(
    rng: &mut StdRng,
    customers: &[(NewCustomer, usize)],
    items: &[NewItem],
    ids: &StoredIds,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<interaction::Model>, anyhow::Error> {
    let mut log = Vec::new();
    for (new_customer, segment) in customers {
        let customer = new_customer.fields();
        let customer_id = ids
            .customer(new_customer)
            .ok_or_else(|| anyhow::anyhow!("demo customer {} was not stored", customer.name))?;
        let churned = customer.attributes["churn"] == "Yes";
        let favourites = SEGMENTS[*segment].1;
        let events = rng.random_range(15..60);
        // Half the churned customers went quiet months ago; the rest look busy.
        let quiet_days = if churned && rng.random::<f64>() < 0.5 {
            rng.random_range(30..150)
        } else {
            0
        };
        for visit in 0..events {
            let category = if rng.random::<f64>() < 0.8 {
                favourites[rng.random_range(0..favourites.len())]
            } else {
                rng.random_range(0..CATEGORIES.len())
            };
            // Popular items come first in each category (a skewed pick).
            let rank = (rng.random::<f64>().powi(2) * ITEMS_PER_CATEGORY as f64) as usize;
            let first = &items[category * ITEMS_PER_CATEGORY + rank];
            let companion =
                &items[category * ITEMS_PER_CATEGORY + (rank ^ 1).min(ITEMS_PER_CATEGORY - 1)];
            let day = rng.random_range(quiet_days..365);
            let at = now - Duration::days(day) - Duration::minutes(rng.random_range(0..1_440));
            // One visit in eight is an order: both items, usually, under one order number.
            let order = (rng.random::<f64>() < 0.125).then(|| {
                format!(
                    "ORD-{}-{visit}",
                    customer.external_id.as_deref().unwrap_or("")
                )
            });
            for (n, picked) in [first, companion].into_iter().enumerate() {
                let companion_odds = if order.is_some() { 0.7 } else { 0.35 };
                if n == 1 && rng.random::<f64>() > companion_odds {
                    break;
                }
                let (kind, value, rating) = match (&order, rng.random::<f64>()) {
                    (Some(_), _) => ("purchase", Some(picked.fields().price), None),
                    (None, r) if r < 0.6 => ("view", None, None),
                    (None, r) if r < 0.82 => ("click", None, None),
                    (None, r) if r < 0.94 => ("cart", None, None),
                    (None, _) => {
                        let rating = if churned {
                            rng.random_range(1..6)
                        } else {
                            rng.random_range(2..6)
                        };
                        ("rating", None, Some(rating as i16))
                    }
                };
                let mut row = event(
                    customer_id,
                    Some(ids.item(picked)?),
                    kind,
                    value,
                    rating,
                    at + Duration::minutes(n as i64),
                );
                row.basket_id = order.clone();
                log.push(row);
            }
        }
        let tickets = customer.attributes["support_calls"].as_i64().unwrap_or(0);
        for _ in 0..tickets {
            let at = now - Duration::days(rng.random_range(quiet_days..365));
            log.push(event(customer_id, None, "support_ticket", None, None, at));
            // Some tickets are followed by a satisfaction survey.
            if rng.random::<f64>() < 0.4 {
                let score = if churned {
                    rng.random_range(1..5)
                } else {
                    rng.random_range(2..6)
                };
                log.push(survey(customer_id, "csat", score, at + Duration::days(1)));
            }
        }
        // Most customers answered the yearly NPS survey, churned ones less kindly.
        if rng.random::<f64>() < 0.7 {
            let score = if churned {
                rng.random_range(0..9)
            } else {
                rng.random_range(5..11)
            };
            let at = now - Duration::days(rng.random_range(quiet_days..200));
            log.push(survey(customer_id, "nps", score, at));
        }
    }
    Ok(log)
}

fn event(
    customer_id: Uuid,
    item_id: Option<Uuid>,
    kind: &str,
    value: Option<f64>,
    rating: Option<i16>,
    occurred_at: chrono::DateTime<Utc>,
) -> interaction::Model {
    interaction::Model {
        id: Uuid::now_v7(),
        customer_id,
        item_id,
        kind: kind.to_owned(),
        value,
        rating,
        channel: Some("web".to_owned()),
        note: None,
        occurred_at,
        created_at: Utc::now(),
        exposure_id: None,
        basket_id: None,
        survey_type: None,
        survey_score: None,
        survey_question: None,
        survey_comment: None,
    }
}

/// A survey answer of `kind` (`nps`, `csat`) with `score` on its scale.
fn survey(
    customer_id: Uuid,
    kind: &str,
    score: i16,
    occurred_at: chrono::DateTime<Utc>,
) -> interaction::Model {
    let question = match kind {
        "nps" => "How likely are you to recommend us to a friend?",
        _ => "How satisfied were you with our support?",
    };
    let mut row = event(customer_id, None, "survey", None, None, occurred_at);
    row.survey_type = Some(kind.to_owned());
    row.survey_score = Some(score);
    row.survey_question = Some(question.to_owned());
    row.channel = Some("email".to_owned());
    row
}

/// Trains and activates every engine that has no active model yet.
pub async fn train_all(
    db: &DatabaseConnection,
    weights: &KindWeights,
    default_engine: &str,
    memory_budget: u64,
) -> Result<(), anyhow::Error> {
    let mut trained_any = false;
    for (_, description) in catalogue::descriptions() {
        let engine = description.name;
        let active = model::Entity::find()
            .filter(model::Column::Engine.eq(engine.as_str()))
            .filter(model::Column::Active.eq(true))
            .count(db)
            .await?;
        if active > 0 {
            continue;
        }
        let started = std::time::Instant::now();
        let trained = train::train(db, weights, &engine, &train::RawParams::new(), &|_, _| {})
            .await
            .map_err(|e| anyhow::anyhow!("demo: training {engine}: {e}"))?;
        let row = jobs::store(db, trained, None, true).await?;
        trained_any = true;
        tracing::info!(engine = %engine, model_id = %row.id, seconds = started.elapsed().as_secs_f64(), "demo: trained and activated");
    }
    if trained_any {
        recommendations::tune(db, weights, default_engine, memory_budget).await?;
    }
    Ok(())
}
