//! The group commit as the domain sees it: the frequent writes of sessions (boots, statuses,
//! events, samples, connections coming and going), queued to be stored with many others in one
//! transaction, each answered once its batch is committed. The store implements the queue.

use crate::domain::chargers::records::{BootRecord, Presence, StatusRecord};
use crate::domain::charging::transactions::Sample;
use crate::domain::ids::ChargerId;
use crate::domain::storage::StoreError;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

/// One write. `Online`: the charger connected on the connection `token` to `node`, speaking
/// `version`, with the connection epoch `epoch` (and was seen `at`) — unless a connection with a
/// newer epoch holds it already; `Offline`: that connection ended, and the charger is offline
/// unless a newer one took over.
#[derive(Debug)]
pub enum Write {
    Boot {
        charger_id: ChargerId,
        record: BootRecord,
        at: DateTime<Utc>,
    },
    Status {
        charger_id: ChargerId,
        record: StatusRecord,
    },
    Event {
        charger_id: ChargerId,
        kind: String,
        payload: serde_json::Value,
    },
    Samples {
        charger_id: ChargerId,
        transaction_id: Option<i64>,
        evse_id: i32,
        connector_id: i32,
        samples: Vec<Sample>,
    },
    Online {
        charger_id: ChargerId,
        presence: Presence,
        at: DateTime<Utc>,
    },
    Offline {
        charger_id: ChargerId,
        token: String,
    },
}

impl Write {
    pub fn charger_id(&self) -> &ChargerId {
        match self {
            Write::Boot { charger_id, .. }
            | Write::Status { charger_id, .. }
            | Write::Event { charger_id, .. }
            | Write::Samples { charger_id, .. }
            | Write::Online { charger_id, .. }
            | Write::Offline { charger_id, .. } => charger_id,
        }
    }
}

/// The queue's answer when it has stopped.
pub fn stopped() -> StoreError {
    StoreError::Commit("the writer has stopped".into())
}

/// A queued write's outcome, once its batch is committed (or failed).
#[derive(Debug)]
pub struct Committed(oneshot::Receiver<(Write, Result<(), StoreError>)>);

impl Committed {
    /// The outcome `done` will tell.
    pub fn new(done: oneshot::Receiver<(Write, Result<(), StoreError>)>) -> Self {
        Committed(done)
    }

    /// The outcome, with the write back (none if the writer stopped with it).
    pub async fn outcome(self) -> (Option<Write>, Result<(), StoreError>) {
        match self.0.await {
            Ok((write, outcome)) => (Some(write), outcome),
            Err(_) => (None, Err(stopped())),
        }
    }
}

/// Where writes are queued (the store's group commit).
#[async_trait::async_trait]
pub trait WriteQueue: Send + Sync + std::fmt::Debug {
    /// Queues `write` (waiting while the queue is full) and answers what tells when it is
    /// committed: the caller goes on meanwhile.
    async fn submit(&self, write: Write) -> Result<Committed, (Write, StoreError)>;

    /// Queues `write` and waits until it is committed, or failed; the write comes back (none if
    /// the queue stopped with it).
    async fn write_back(&self, write: Write) -> (Option<Write>, Result<(), StoreError>) {
        match self.submit(write).await {
            Ok(committed) => committed.outcome().await,
            Err((write, e)) => (Some(write), Err(e)),
        }
    }

    /// Queues `write` and waits until it is committed.
    async fn write(&self, write: Write) -> Result<(), StoreError> {
        self.write_back(write).await.1
    }
}
