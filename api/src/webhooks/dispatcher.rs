//! Drains the outbox: posts due deliveries with Standard Webhooks headers,
//! records every attempt and retries failures with exponential back-off and
//! jitter until the attempt budget is spent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::future::join_all;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::resolver::CheckedResolver;
use super::{guard, signature};
use crate::config::BackgroundSettings;
use crate::domain::DomainError;
use crate::entities::{webhook, webhook_attempt, webhook_delivery};
use crate::secrets::MasterKey;
use crate::workers;

use webhook_delivery::Column;

/// Deliveries claimed per round.
const BATCH: u64 = 50;
/// Longest error text kept per attempt.
const MAX_ERROR: usize = 500;

/// What the dispatcher needs from the settings.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    client: reqwest::Client,
    key: MasterKey,
    allow_private: bool,
    max_attempts: u32,
    retry_base: Duration,
    timeout: Duration,
}

/// An error and its causes, `: `-separated (reqwest's own text leaves out
/// why, e.g. that the resolver refused every address).
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Delay before retry number `attempt` (1-based): `base * 3^(attempt-1)`,
/// +-20% jitter, at most a day.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let factor = 3f64.powi(attempt.saturating_sub(1).min(20) as i32);
    let jitter: f64 = rand::random_range(0.8..1.2);
    Duration::from_secs_f64((base.as_secs_f64() * factor * jitter).min(86_400.0))
}

impl Dispatcher {
    /// Builds the HTTP client (no redirects, no proxy, per-attempt timeout)
    /// on `resolver`, which refuses internal addresses unless the settings
    /// allow them; `key` opens the stored webhook secrets.
    pub fn new(
        settings: &BackgroundSettings,
        key: MasterKey,
        resolver: CheckedResolver,
    ) -> Result<Self, anyhow::Error> {
        // reqwest is built without a default TLS provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let timeout = Duration::from_millis(settings.webhook_timeout_ms.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .user_agent(concat!("Rapport-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            key,
            allow_private: settings.webhook_allow_private,
            max_attempts: settings.webhook_max_attempts.max(1),
            retry_base: Duration::from_millis(settings.webhook_retry_base_ms),
            timeout,
        })
    }

    /// Starts the delivery loop.
    pub fn spawn(self, db: DatabaseConnection, poll: Duration) {
        let this = Arc::new(self);
        workers::every("webhook-dispatcher", poll, move || {
            let this = this.clone();
            let db = db.clone();
            async move { this.round(&db).await }
        });
    }

    /// Sends every due delivery, a batch at a time.
    pub async fn round(&self, db: &DatabaseConnection) -> Result<(), DomainError> {
        while self.batch(db).await? == BATCH as usize {}
        Ok(())
    }

    /// Claims up to [`BATCH`] due deliveries and sends them concurrently;
    /// returns how many were due.
    async fn batch(&self, db: &DatabaseConnection) -> Result<usize, DomainError> {
        let now = Utc::now();
        let unlocked = Condition::any()
            .add(Column::LockedUntil.is_null())
            .add(Column::LockedUntil.lt(now));
        let due = webhook_delivery::Entity::find()
            .filter(Column::Status.eq("pending"))
            .filter(Column::NextAttemptAt.lte(now))
            .filter(unlocked.clone())
            .order_by_asc(Column::NextAttemptAt)
            .limit(BATCH)
            .all(db)
            .await?;
        let lease = chrono::Duration::from_std(self.timeout + Duration::from_secs(30))
            .map_err(|e| DomainError::Internal(e.into()))?;
        let found = due.len();
        let mut claimed = Vec::new();
        for delivery in due {
            // Another replica may have claimed it since the read.
            let result = webhook_delivery::Entity::update_many()
                .col_expr(Column::LockedUntil, (now + lease).into())
                .filter(Column::Id.eq(delivery.id))
                .filter(Column::Status.eq("pending"))
                .filter(unlocked.clone())
                .exec(db)
                .await?;
            if result.rows_affected == 1 {
                claimed.push(delivery);
            }
        }
        for outcome in join_all(claimed.into_iter().map(|d| self.deliver(db, d))).await {
            outcome?;
        }
        Ok(found)
    }

    /// One attempt: `(status code, error)`.
    async fn attempt(
        &self,
        hook: &webhook::Model,
        delivery: &webhook_delivery::Model,
    ) -> (Option<i32>, Option<String>) {
        let url = match guard::check_url(&hook.url, self.allow_private) {
            Ok(url) => url,
            Err(reason) => return (None, Some(format!("url refused: {reason}"))),
        };
        let timestamp = Utc::now().timestamp();
        let signed = self.secrets(hook).and_then(|secrets| {
            signature::sign_all(&secrets, &delivery.event_id, timestamp, &delivery.payload)
        });
        let signed = match signed {
            Ok(signed) => signed,
            Err(err) => return (None, Some(err.to_string())),
        };
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(delivery.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                (Some(i32::from(response.status().as_u16())), None)
            }
            Ok(response) => {
                let status = response.status();
                (
                    Some(i32::from(status.as_u16())),
                    Some(format!("receiver answered {status}")),
                )
            }
            Err(err) if err.is_timeout() => (None, Some("timed out".to_owned())),
            Err(err) => (None, Some(format!("request failed: {}", causes(&err)))),
        }
    }

    /// The secrets that sign a delivery of `hook`: its own, and the one it
    /// replaced while that still signs.
    fn secrets(&self, hook: &webhook::Model) -> Result<Vec<String>, anyhow::Error> {
        let mut secrets = vec![self.key.open(&hook.secret)?];
        if let (Some(previous), Some(until)) = (&hook.previous_secret, hook.previous_secret_until)
            && until > Utc::now()
        {
            secrets.push(self.key.open(previous)?);
        }
        Ok(secrets)
    }

    async fn deliver(
        &self,
        db: &DatabaseConnection,
        delivery: webhook_delivery::Model,
    ) -> Result<(), DomainError> {
        let hook = webhook::Entity::find_by_id(delivery.webhook_id)
            .one(db)
            .await?;
        let started = Instant::now();
        let (status_code, error) = match &hook {
            Some(hook) if hook.active => self.attempt(hook, &delivery).await,
            Some(_) | None => (None, Some("the webhook is inactive".to_owned())),
        };
        let latency = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let error = error.map(|e| e.chars().take(MAX_ERROR).collect::<String>());
        let number = delivery.attempts + 1;
        let now = Utc::now();
        webhook_attempt::Entity::insert(webhook_attempt::ActiveModel::from(
            webhook_attempt::Model {
                id: Uuid::now_v7(),
                delivery_id: delivery.id,
                webhook_id: delivery.webhook_id,
                attempt: number,
                status_code,
                latency_ms: latency,
                error: error.clone(),
                created_at: now,
            },
        ))
        .exec_without_returning(db)
        .await?;
        let retry = chrono::Duration::from_std(backoff(self.retry_base, number as u32))
            .map_err(|e| DomainError::Internal(e.into()))?;
        let status = match &error {
            None => "succeeded",
            Some(_) if number as u32 >= self.max_attempts || hook.is_none() => "failed",
            Some(_) => "pending",
        };
        webhook_delivery::Entity::update(webhook_delivery::ActiveModel {
            id: Set(delivery.id),
            status: Set(status.to_owned()),
            attempts: Set(number),
            next_attempt_at: Set(if status == "pending" {
                now + retry
            } else {
                now
            }),
            locked_until: Set(None),
            last_status_code: Set(status_code),
            last_error: Set(error),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_threefold_with_bounded_jitter() {
        let base = Duration::from_secs(90);
        for (attempt, nominal) in [(1u32, 90.0), (2, 270.0), (7, 65_610.0)] {
            let d = backoff(base, attempt).as_secs_f64();
            assert!(d >= nominal * 0.8 && d <= nominal * 1.2, "{attempt}: {d}");
        }
        assert!(backoff(base, 40).as_secs_f64() <= 86_400.0);
        // 7 retries (8 attempts) span about a day.
        let total: f64 = (1..8).map(|a| 90.0 * 3f64.powi(a - 1)).sum();
        assert!((86_400.0..=130_000.0).contains(&total), "{total}");
    }
}
