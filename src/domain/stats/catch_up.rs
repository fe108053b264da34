//! The statistics' catch-up (see `counting`): every second on every node, and before each read
//! of the rollups. Catch-ups take turns in the store, so two never count the same change.

use super::counting::{self, BATCH};
use super::rollup::Deltas;
use super::{Stats, StatsError};
use crate::domain::storage::StoreError;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the catch-up runs on its own.
const EVERY: Duration = Duration::from_secs(1);

impl Stats {
    /// Counts every change made before it was called.
    pub async fn catch_up(&self) -> Result<(), StoreError> {
        if !self.store.stats_any_due().await? {
            return Ok(());
        }
        // A batch shorter than asked for leaves nothing due that was made before it began.
        while self.store.stats_count_due(BATCH, counting::count).await? >= BATCH {}
        Ok(())
    }

    /// Catches up every `EVERY` until `stop`.
    pub async fn run_every(self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = self.catch_up().await {
                tracing::warn!(error = %e, "the statistics' catch-up failed; it runs again in a second");
            }
        }
    }

    /// The rollups as stored once caught up, and a recomputation from the orders and refunds:
    /// equal unless a change escaped its count.
    pub async fn rollups_and_recomputed(&self) -> Result<(Deltas, Deltas), StatsError> {
        self.catch_up().await?;
        let stored = self.store.stats_rollups().await?;
        let recomputed = counting::count(&self.store.stats_everything().await?).deltas;
        Ok((stored, recomputed))
    }
}
