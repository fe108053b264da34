//! Group commit: the frequent writes of many sessions (boots, statuses, events, meter samples)
//! go to one writer task, which applies whatever is queued in one database transaction — each
//! write in a savepoint of its own, so one failing write fails alone — commits once, and then
//! answers every session. A session acknowledges its charger only after that answer: nothing
//! is acknowledged that is not stored, and a commit (an fsync) serves hundreds of chargers.

use super::chargers::{record_boot_on, record_event_on, record_status_on};
use super::transactions::add_samples_on;
use super::{BootRecord, Sample, StatusRecord, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Writes taken per transaction at most.
const MAX_BATCH: usize = 512;

/// One write.
#[derive(Debug)]
pub enum Write {
    Boot { charger_id: String, record: BootRecord, at: DateTime<Utc> },
    Status { charger_id: String, record: StatusRecord },
    Event { charger_id: String, kind: String, payload: serde_json::Value },
    Samples { charger_id: String, transaction_id: Option<i64>, evse_id: i32, connector_id: i32, samples: Vec<Sample> },
}

type Job = (Write, oneshot::Sender<Result<(), StoreError>>);

/// The handle sessions write through.
#[derive(Debug, Clone)]
pub struct Writes {
    queue: mpsc::Sender<Job>,
}

/// The writer task: cancel `stop` once no session writes any more, then await `task`.
#[derive(Debug)]
pub struct BatchWriter {
    pub stop: CancellationToken,
    pub task: JoinHandle<()>,
}

impl Writes {
    /// Starts the writer.
    pub fn start(store: Store) -> (Self, BatchWriter) {
        // A full queue makes writers wait: back-pressure on the chargers, never lost writes.
        let (queue, rx) = mpsc::channel(MAX_BATCH * 4);
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(store, rx, stop.clone()));
        (Writes { queue }, BatchWriter { stop, task })
    }

    /// Applies `write` and returns once it is committed.
    pub async fn write(&self, write: Write) -> Result<(), StoreError> {
        let (reply, done) = oneshot::channel();
        self.queue.send((write, reply)).await.map_err(|_| StoreError::Commit("the writer has stopped".into()))?;
        done.await.unwrap_or_else(|_| Err(StoreError::Commit("the writer has stopped".into())))
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>, stop: CancellationToken) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => n,
            _ = stop.cancelled() => {
                // Everything queued before the sessions ended is still written.
                while let Ok(job) = rx.try_recv() {
                    batch.push(job);
                    if batch.len() == MAX_BATCH {
                        commit(&store, &mut batch).await;
                    }
                }
                commit(&store, &mut batch).await;
                return;
            }
        };
        if received == 0 {
            return;
        }
        commit(&store, &mut batch).await;
    }
}

/// Applies the jobs in one transaction, each in its own savepoint, and answers them.
async fn commit(store: &Store, batch: &mut Vec<Job>) {
    if batch.is_empty() {
        return;
    }
    let jobs = std::mem::take(batch);
    let txn = match store.db().begin().await {
        Ok(txn) => txn,
        Err(e) => {
            let failure = e.to_string();
            for (_, reply) in jobs {
                let _ = reply.send(Err(StoreError::Commit(failure.clone())));
            }
            return;
        }
    };
    let mut outcomes = Vec::with_capacity(jobs.len());
    for (write, reply) in jobs {
        let outcome = match txn.begin().await {
            Ok(savepoint) => match apply(&savepoint, write).await {
                Ok(()) => savepoint.commit().await.map_err(StoreError::from),
                Err(e) => {
                    let _ = savepoint.rollback().await;
                    Err(e)
                }
            },
            Err(e) => Err(e.into()),
        };
        outcomes.push((outcome, reply));
    }
    match txn.commit().await {
        Ok(()) => {
            for (outcome, reply) in outcomes {
                let _ = reply.send(outcome);
            }
        }
        Err(e) => {
            let failure = e.to_string();
            for (_, reply) in outcomes {
                let _ = reply.send(Err(StoreError::Commit(failure.clone())));
            }
        }
    }
}

async fn apply(db: &sea_orm::DatabaseTransaction, write: Write) -> Result<(), StoreError> {
    match write {
        Write::Boot { charger_id, record, at } => record_boot_on(db, &charger_id, record, at).await,
        Write::Status { charger_id, record } => record_status_on(db, &charger_id, record).await,
        Write::Event { charger_id, kind, payload } => record_event_on(db, &charger_id, &kind, payload).await,
        Write::Samples { charger_id, transaction_id, evse_id, connector_id, samples } => {
            add_samples_on(db, &charger_id, transaction_id, evse_id, connector_id, samples).await
        }
    }
}
