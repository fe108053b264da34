//! Group commit: the frequent writes of many sessions (boots, statuses, events, meter samples)
//! go to a writer task, which applies whatever is queued in one database transaction (all the
//! batch's samples in one multi-row insert), commits once, and then answers every session. A
//! session acknowledges its charger only after that answer: nothing is acknowledged that is
//! not stored, and one commit (one fsync) serves hundreds of chargers. If the batch fails, each
//! of its writes is redone in a transaction of its own, so a bad write fails alone.
//!
//! SQLite has one writer; PostgreSQL gets several, each charger's writes always on the same one
//! (by a hash of its id), so a charger's writes stay in order.

use super::chargers::{record_boot_on, record_event_on, record_status_on};
use super::transactions::{add_samples_on, attached_transaction, insert_sample_rows, sample_rows};
use super::{BootRecord, Sample, StatusRecord, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Writes taken per transaction at most.
const MAX_BATCH: usize = 512;
/// Writers on PostgreSQL (SQLite: one).
const POSTGRES_WRITERS: usize = 4;

/// One write.
#[derive(Debug)]
pub enum Write {
    Boot { charger_id: String, record: BootRecord, at: DateTime<Utc> },
    Status { charger_id: String, record: StatusRecord },
    Event { charger_id: String, kind: String, payload: serde_json::Value },
    Samples { charger_id: String, transaction_id: Option<i64>, evse_id: i32, connector_id: i32, samples: Vec<Sample> },
}

impl Write {
    fn charger_id(&self) -> &str {
        match self {
            Write::Boot { charger_id, .. }
            | Write::Status { charger_id, .. }
            | Write::Event { charger_id, .. }
            | Write::Samples { charger_id, .. } => charger_id,
        }
    }
}

type Job = (Write, oneshot::Sender<Result<(), StoreError>>);

/// The handle sessions write through.
#[derive(Debug, Clone)]
pub struct Writes {
    queues: Arc<[mpsc::Sender<Job>]>,
}

/// The writer tasks: cancel `stop` once no session writes any more, then await `tasks`.
#[derive(Debug)]
pub struct BatchWriter {
    pub stop: CancellationToken,
    pub tasks: Vec<JoinHandle<()>>,
}

impl Writes {
    /// Starts the writers.
    pub fn start(store: Store) -> (Self, BatchWriter) {
        let writers = match store.db().get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_WRITERS,
            _ => 1,
        };
        let stop = CancellationToken::new();
        let mut queues = Vec::with_capacity(writers);
        let mut tasks = Vec::with_capacity(writers);
        for _ in 0..writers {
            // A full queue makes writers wait: back-pressure on the chargers, never lost writes.
            let (queue, rx) = mpsc::channel(MAX_BATCH * 4);
            queues.push(queue);
            tasks.push(tokio::spawn(run(store.clone(), rx, stop.clone())));
        }
        (Writes { queues: queues.into() }, BatchWriter { stop, tasks })
    }

    /// Applies `write` and returns once it is committed.
    pub async fn write(&self, write: Write) -> Result<(), StoreError> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        write.charger_id().hash(&mut hasher);
        let queue = &self.queues[(hasher.finish() % self.queues.len() as u64) as usize];
        let (reply, done) = oneshot::channel();
        queue.send((write, reply)).await.map_err(|_| StoreError::Commit("the writer has stopped".into()))?;
        done.await.unwrap_or_else(|_| Err(StoreError::Commit("the writer has stopped".into())))
    }
}

impl BatchWriter {
    /// Stops the writers once what is queued is committed.
    pub async fn finish(self) {
        self.stop.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
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

/// Commits the batch in one transaction, or, if that fails, each write in its own.
async fn commit(store: &Store, batch: &mut Vec<Job>) {
    if batch.is_empty() {
        return;
    }
    let jobs = std::mem::take(batch);
    if let Ok((_turn, txn)) = store.begin_write().await {
        let committed = match apply_all(&txn, &jobs).await {
            Ok(()) => txn.commit().await.is_ok(),
            Err(_) => {
                let _ = txn.rollback().await;
                false
            }
        };
        if committed {
            for (_, reply) in jobs {
                let _ = reply.send(Ok(()));
            }
            return;
        }
    }
    for (write, reply) in jobs {
        let _ = reply.send(alone(store, &write).await);
    }
}

/// The whole batch on one transaction, its samples in as few inserts as possible.
async fn apply_all(txn: &sea_orm::DatabaseTransaction, jobs: &[Job]) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    for (write, _) in jobs {
        match write {
            Write::Samples { charger_id, transaction_id, evse_id, connector_id, samples } => {
                let transaction_id = attached_transaction(txn, charger_id, *transaction_id).await?;
                rows.extend(sample_rows(charger_id, transaction_id, *evse_id, *connector_id, samples.clone()));
            }
            other => apply(txn, other).await?,
        }
    }
    insert_sample_rows(txn, rows).await
}

/// One write in a transaction of its own.
async fn alone(store: &Store, write: &Write) -> Result<(), StoreError> {
    let (_turn, txn) = store.begin_write().await?;
    match apply(&txn, write).await {
        Ok(()) => Ok(txn.commit().await?),
        Err(e) => {
            let _ = txn.rollback().await;
            Err(e)
        }
    }
}

async fn apply(db: &impl ConnectionTrait, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::Boot { charger_id, record, at } => record_boot_on(db, charger_id, record.clone(), *at).await,
        Write::Status { charger_id, record } => record_status_on(db, charger_id, record.clone()).await,
        Write::Event { charger_id, kind, payload } => record_event_on(db, charger_id, kind, payload.clone()).await,
        Write::Samples { charger_id, transaction_id, evse_id, connector_id, samples } => {
            add_samples_on(db, charger_id, *transaction_id, *evse_id, *connector_id, samples.clone()).await
        }
    }
}
