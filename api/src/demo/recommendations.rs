//! What the demo shows of recommendation control: two merchandising rules
//! (coffee boosted for the coming month, turntables hidden) and
//! a model found by tuning every recommender, activated when it beats the
//! default engine's model.

use std::sync::Arc;

use chrono::{Duration, Utc};
use rapport_core::KindWeights;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::domain::RuleAction;
use crate::domain::recommendation_rule::RuleFields;
use crate::entities::recommendation_rule;
use crate::ml::jobs;
use crate::ml::tuning::{self, AUTO, TuneSettings};
use crate::services::audit::Actor;
use crate::services::{Context, recommendation_rules};

/// Trials of the demo's search: enough to try every recommender twice.
const DEMO_TRIALS: usize = 12;

/// Creates the demo's rules, unless there are rules already.
pub async fn seed_rules(db: &DatabaseConnection) -> Result<(), anyhow::Error> {
    if recommendation_rule::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    let ctx = Context::for_system(db, Actor::system());
    let rule = |name: &str, action, category: Option<&str>, tag: Option<&str>, factor| RuleFields {
        name: name.to_owned(),
        action,
        item_id: None,
        category: category.map(str::to_owned),
        tag: tag.map(str::to_owned),
        position: None,
        factor,
        starts_at: None,
        ends_at: None,
        active: Some(true),
    };
    let coffee_month = RuleFields {
        ends_at: Some(Utc::now() + Duration::days(30)),
        ..rule(
            "Coffee month",
            RuleAction::Boost,
            Some("coffee"),
            None,
            Some(1.5),
        )
    };
    let out_of_stock = rule(
        "Turntables out of stock",
        RuleAction::Hide,
        None,
        Some("turntable"),
        None,
    );
    for fields in [coffee_month, out_of_stock] {
        let txn = ctx.begin().await?;
        recommendation_rules::create(&ctx, &txn, fields).await?;
        ctx.commit(txn).await?;
    }
    Ok(())
}

/// Tunes every recommender on the demo data and stores the winner, active
/// when it beats the active model of `default_engine`.
pub async fn tune(
    db: &DatabaseConnection,
    weights: &KindWeights,
    default_engine: &str,
    memory_budget: u64,
) -> Result<(), anyhow::Error> {
    let settings = TuneSettings {
        trials: DEMO_TRIALS,
        baseline_engine: Some(default_engine.to_owned()),
        ..TuneSettings::default()
    };
    let tuned = tuning::tune(
        db,
        weights,
        AUTO,
        &settings,
        memory_budget,
        Arc::new(|_, _| {}),
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo: tuning: {e}"))?;
    let activate = tuned.decision.promote;
    let row = jobs::store(db, tuned.trained, None, activate).await?;
    tracing::info!(engine = %row.engine, model_id = %row.id, activated = activate,
        reason = %tuned.decision.reason, "demo: tuned every recommender");
    Ok(())
}
