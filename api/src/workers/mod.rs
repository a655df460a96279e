//! Periodic background jobs. Every replica runs them; each job claims its
//! rows with a conditional UPDATE so that no row is handled twice.

use std::future::Future;
use std::time::Duration;

use crate::domain::DomainError;

pub mod retention;
pub mod scheduled_tuning;
pub mod score_sweep;
pub mod sla;

/// Runs `job` every `interval` on the current runtime, logging failures
/// instead of stopping.
pub fn every<F, Fut>(name: &'static str, interval: Duration, mut job: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), DomainError>> + Send,
{
    let interval = interval.max(Duration::from_millis(10));
    tokio::spawn(async move {
        loop {
            if let Err(err) = job().await {
                tracing::warn!(job = name, error = %err, cause = ?err, "background job failed");
            }
            tokio::time::sleep(interval).await;
        }
    });
}
