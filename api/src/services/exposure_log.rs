//! Recording served lists (exposures) without slowing serving: a request
//! puts its exposure on a bounded in-memory queue and goes on; a background
//! task writes what waits in a few inserts per flush. When the queue is full the
//! exposure is dropped and counted (`rapport_exposures_dropped_total`),
//! never the request. `RAPPORT_EXPOSURE_SAMPLE` records only a share of the
//! lists.

use std::time::Duration;

use chrono::Utc;
use prometheus::IntCounter;
use sea_orm::{DatabaseConnection, EntityTrait};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::config::OnlineSettings;
use crate::entities::exposure;
use crate::metrics::Metrics;
use crate::ml::experiment_arms::Assignment;

/// A list as served, to record.
pub struct ServedList<'a> {
    /// Whom it was for (none for similar items).
    pub customer: Option<Uuid>,
    pub model_id: Uuid,
    pub engine: &'a str,
    pub assignment: Option<&'a Assignment>,
    pub placement: &'a str,
    /// The item ids, in order.
    pub items: &'a [Uuid],
}

/// Most exposures taken from the queue at once.
const MAX_BATCH: usize = 3_000;

/// Most exposures per insert statement (ten columns each: within SQLite's
/// 32,766 bound parameters). A batch is written in chunks whose sizes are
/// powers of two up to this (2,345 = 2,048 + 256 + 32 + 8 + 1), so that
/// the driver prepares and caches at most twelve statements: a statement per
/// batch size would cache hundreds of them, of thousands of parameters each.
const MAX_ROWS_PER_INSERT: usize = 2_048;

/// The size of the next chunk of `left` rows: the largest power of two not
/// above it, at most [`MAX_ROWS_PER_INSERT`].
fn chunk_size(left: usize) -> usize {
    match left {
        0 => 0,
        n => (1_usize << n.ilog2()).min(MAX_ROWS_PER_INSERT),
    }
}

/// The queue of exposures waiting to be written.
pub struct ExposureLog {
    sender: mpsc::Sender<exposure::Model>,
    sample: f64,
    recorded: IntCounter,
    dropped: IntCounter,
}

impl ExposureLog {
    /// Starts the writer on the current runtime.
    pub fn start(
        db: DatabaseConnection,
        settings: &OnlineSettings,
        metrics: &Metrics,
    ) -> Result<Self, anyhow::Error> {
        let capacity = usize::try_from(settings.exposure_queue)?;
        let (sender, receiver) = mpsc::channel(capacity);
        let written = metrics.counter("exposures_written_total", "exposures written")?;
        let lost = metrics.counter(
            "exposures_write_failed_total",
            "exposures lost to a failed write",
        )?;
        let flush = Duration::from_millis(settings.exposure_flush_ms);
        tokio::spawn(write_batches(db, receiver, flush, written, lost));
        Ok(Self {
            sender,
            sample: settings.exposure_sample,
            recorded: metrics.counter("exposures_queued_total", "exposures queued for writing")?,
            dropped: metrics.counter(
                "exposures_dropped_total",
                "exposures not recorded because the queue was full",
            )?,
        })
    }

    /// Whether a list is recorded at all, by the configured share.
    fn sampled(&self) -> bool {
        self.sample >= 1.0 || (self.sample > 0.0 && rand::random::<f64>() < self.sample)
    }

    /// Records a served list, when it is sampled and the queue has room;
    /// returns its exposure id then.
    pub fn record_list(&self, list: ServedList<'_>) -> Option<Uuid> {
        if !self.sampled() {
            return None;
        }
        let id = Uuid::now_v7();
        let items: Vec<String> = list.items.iter().map(Uuid::to_string).collect();
        let row = exposure::Model {
            id,
            customer_id: list.customer,
            model_id: list.model_id,
            engine: list.engine.to_owned(),
            experiment_id: list.assignment.map(|a| a.experiment_id),
            arm: list.assignment.map(|a| a.arm.clone()),
            placement: list.placement.to_owned(),
            items: serde_json::Value::from(items),
            impressions: None,
            created_at: Utc::now(),
        };
        self.record(row).then_some(id)
    }

    /// Queues `row`; false (and counted) when the queue is full.
    fn record(&self, row: exposure::Model) -> bool {
        match self.sender.try_send(row) {
            Ok(()) => {
                self.recorded.inc();
                true
            }
            Err(_) => {
                self.dropped.inc();
                false
            }
        }
    }
}

/// Writes what waits, a few inserts per batch; waits `flush` once the queue is
/// drained (a full batch means more wait: it writes on at once).
async fn write_batches(
    db: DatabaseConnection,
    mut receiver: mpsc::Receiver<exposure::Model>,
    flush: Duration,
    written: IntCounter,
    lost: IntCounter,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let drained = batch.len() < MAX_BATCH;
        let mut rest = &batch[..];
        while !rest.is_empty() {
            let (chunk, after) = rest.split_at(chunk_size(rest.len()));
            rest = after;
            let n = chunk.len() as u64;
            let rows = chunk.iter().cloned().map(exposure::ActiveModel::from);
            match exposure::Entity::insert_many(rows)
                .exec_without_returning(&db)
                .await
            {
                Ok(_) => written.inc_by(n),
                Err(err) => {
                    lost.inc_by(n);
                    tracing::warn!(error = %err, exposures = n, "writing exposures failed");
                }
            }
        }
        batch.clear();
        if drained {
            tokio::time::sleep(flush).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_written_in_power_of_two_chunks() {
        let mut left = 2_345;
        let mut sizes = Vec::new();
        while left > 0 {
            let size = chunk_size(left);
            sizes.push(size);
            left -= size;
        }
        assert_eq!(sizes, [2_048, 256, 32, 8, 1]);
        assert_eq!(chunk_size(3_000), 2_048);
        assert_eq!(chunk_size(0), 0);
    }
}
