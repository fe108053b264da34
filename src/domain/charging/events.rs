//! What happened at the chargers that the rest of the business follows (orders start, stop, and
//! bill an occupied connector): published after it is stored, never blocking a charger's
//! session. A missed event is recovered by the orders' sweep, which reads the database.

use crate::domain::ids::{ChargerId, IdTag};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

/// A stored fact about charging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargingEvent {
    /// A transaction began (or its start was seen again: followers are idempotent).
    Started {
        transaction_id: i64,
        charger_id: ChargerId,
        evse_id: i32,
        connector_id: i32,
        id_tag: Option<IdTag>,
        remote_start_id: Option<i32>,
        at: DateTime<Utc>,
    },
    /// A transaction ended.
    Ended { transaction_id: i64, charger_id: ChargerId },
    /// A connector reported its status.
    Status { charger_id: ChargerId, evse_id: i32, connector_id: i32, status: String, at: DateTime<Utc> },
}

/// Where charging events go: nowhere until something follows them.
#[derive(Debug, Clone, Default)]
pub struct EventSink(Option<mpsc::Sender<ChargingEvent>>);

/// How many events wait for their follower before new ones are dropped (and left to the sweep).
pub const EVENT_QUEUE: usize = 65_536;

impl EventSink {
    /// A sink and the receiving end its follower reads.
    pub fn channel() -> (EventSink, mpsc::Receiver<ChargingEvent>) {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        (EventSink(Some(tx)), rx)
    }

    /// Publishes `event` without waiting; when the follower has fallen a whole queue behind the
    /// event is dropped, said in the log, and recovered by the follower's sweep.
    pub fn publish(&self, event: ChargingEvent) {
        if let Some(tx) = &self.0
            && let Err(mpsc::error::TrySendError::Full(dropped)) = tx.try_send(event)
        {
            tracing::warn!(event = ?dropped, "the charging event queue is full: left to the sweep");
        }
    }
}
