//! Group commit: the frequent writes of many sessions (boots, statuses, events, meter samples,
//! connections coming and going) go to a writer task, which applies whatever is queued in one
//! database transaction (all the batch's samples in one multi-row insert), commits once, and
//! then answers every session. A session acknowledges its charger only after that answer:
//! nothing is acknowledged that is not stored, and one commit (one fsync) serves hundreds of
//! chargers. If the batch fails, each of its writes is redone in a transaction of its own, so a
//! bad write fails alone.
//!
//! A commit can fail with an unknown outcome (the connection broke while committing): the batch
//! may be stored. Each batch therefore writes its number to the writer's row of `write_marks`
//! in its own transaction, and after a failed commit the writer reads the mark: the batch is
//! redone only when it is not there, so nothing is stored twice (and samples, whose natural key
//! is unique, could not be anyway).
//!
//! SQLite has one writer; PostgreSQL gets several, each charger's writes always on the same one
//! (by a hash of its id), so a charger's writes stay in order.
//!
//! The writers run on a thread of their own, with a pool of their own opened there. A writer is
//! every session's bottleneck, and among the sessions' tasks each of its awaits (the pool, each
//! statement's answer, the commit) queued behind hundreds of ready sessions: measured on SQLite
//! under MeterValues load, a batch's `BEGIN` alone took 4–6 ms; on its own thread, 30–70 µs.

use super::chargers::{record_boot_on, record_event_on, record_offline_on, record_online_on, record_status_on};
use super::samples::{Copies, SampleRows, insert_samples};
use super::{Store, StoreError};
use crate::domain::writes::{Committed, Write, WriteQueue, stopped};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, Statement};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Writes taken per transaction at most.
const MAX_BATCH: usize = 512;
/// Writers on PostgreSQL (SQLite: one).
const POSTGRES_WRITERS: usize = 4;

/// A write and where its outcome goes, with the write given back (its samples move on to the
/// live state without a copy).
pub(super) type Job = (Write, oneshot::Sender<(Write, Result<(), StoreError>)>);

/// The handle sessions write through.
#[derive(Debug, Clone)]
pub struct Writes {
    queues: Arc<[mpsc::Sender<Job>]>,
}

/// The writers' thread: [`BatchWriter::finish`] stops it.
#[derive(Debug)]
pub struct BatchWriter {
    stop: CancellationToken,
    /// Dropped when the thread ends.
    done: oneshot::Receiver<()>,
}

impl Writes {
    /// Starts the writers on a thread of their own, with a pool of their own on `url` (the
    /// database of `store`, whose writing turn they share).
    pub async fn start(store: &Store, url: &str) -> Result<(Self, BatchWriter), StoreError> {
        let writers = match store.db().get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_WRITERS,
            _ => 1,
        };
        let stop = CancellationToken::new();
        let (queues, receivers): (Vec<_>, Vec<_>) =
            // A full queue makes writers wait: back-pressure on the chargers, never lost writes.
            (0..writers).map(|_| mpsc::channel::<Job>(MAX_BATCH * 4)).unzip();
        let (ready, started) = oneshot::channel();
        let (done_tx, done) = oneshot::channel::<()>();
        let (store, url, stopping) = (store.clone(), url.to_owned(), stop.clone());
        let thread = move || {
            let _done = done_tx;
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready.send(Err(StoreError::Writer(e.to_string())));
                    return;
                }
            };
            runtime.block_on(async move {
                let own = match store.own_pool(&url, writers as u32).await {
                    Ok(own) => own,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let tasks: Vec<JoinHandle<()>> = receivers
                    .into_iter()
                    .enumerate()
                    .map(|(index, rx)| tokio::spawn(run(Writer::new(own.clone(), index), rx, stopping.clone())))
                    .collect();
                let _ = ready.send(Ok(()));
                for task in tasks {
                    let _ = task.await;
                }
                let _ = own.close().await;
            });
        };
        std::thread::Builder::new()
            .name("csms-writer".into())
            .spawn(thread)
            .map_err(|e| StoreError::Writer(e.to_string()))?;
        started.await.map_err(|_| StoreError::Writer("the writer thread ended while starting".into()))??;
        Ok((Writes { queues: queues.into() }, BatchWriter { stop, done }))
    }
}

#[async_trait::async_trait]
impl WriteQueue for Writes {
    /// Queues `write` behind the charger's earlier writes (waiting only while its queue is
    /// full) and answers what tells when it is committed: the caller goes on meanwhile.
    async fn submit(&self, write: Write) -> Result<Committed, (Write, StoreError)> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        write.charger_id().hash(&mut hasher);
        let queue = &self.queues[(hasher.finish() % self.queues.len() as u64) as usize];
        let (reply, done) = oneshot::channel();
        match queue.send((write, reply)).await {
            Ok(()) => Ok(Committed::new(done)),
            Err(mpsc::error::SendError((write, _))) => Err((write, stopped())),
        }
    }
}

impl BatchWriter {
    /// Stops the writers once what is queued is committed, and closes their pool.
    pub async fn finish(self) {
        self.stop.cancel();
        // Err once the thread has ended (it never sends).
        let _ = self.done.await;
    }
}

/// One writer: its store and its mark (see the module's comment).
#[derive(Debug)]
pub(super) struct Writer {
    pub(super) store: Store,
    /// This writer's key in `write_marks`: unique per process start and writer.
    pub(super) name: String,
    /// The number of the batch being committed.
    pub(super) batch: i64,
}

impl Writer {
    pub(super) fn new(store: Store, index: usize) -> Self {
        let started = Utc::now().timestamp_micros();
        Writer { store, name: format!("{started:x}-{:x}-{index}", std::process::id()), batch: 0 }
    }

    /// Writes this batch's number as the writer's mark, inside the batch's transaction.
    async fn mark(&self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        let backend = txn.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Postgres => {
                "INSERT INTO write_marks (writer, batch) VALUES ($1, $2) \
                 ON CONFLICT (writer) DO UPDATE SET batch = excluded.batch"
            }
            _ => {
                "INSERT INTO write_marks (writer, batch) VALUES (?, ?) ON CONFLICT (writer) DO UPDATE SET batch = excluded.batch"
            }
        };
        let values = [self.name.clone().into(), self.batch.into()];
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        Ok(())
    }

    /// What became of the current batch, whose commit failed, as its mark tells.
    pub(super) async fn judged_by_mark(&self) -> Outcome {
        match self.marked().await {
            Ok(true) => Outcome::Stored,
            Ok(false) => Outcome::NotStored,
            Err(unknown) => {
                tracing::error!(error = %unknown, "a batch's commit failed and its outcome cannot be read");
                Outcome::Unknown
            }
        }
    }

    /// Whether the current batch is stored, read after its commit failed.
    pub(super) async fn marked(&self) -> Result<bool, DbErr> {
        let db = self.store.db();
        let backend = db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Postgres => "SELECT batch FROM write_marks WHERE writer = $1",
            _ => "SELECT batch FROM write_marks WHERE writer = ?",
        };
        let row = db.query_one_raw(Statement::from_sql_and_values(backend, sql, [self.name.clone().into()])).await?;
        Ok(row.map(|r| r.try_get::<i64>("", "batch")).transpose()?.is_some_and(|batch| batch == self.batch))
    }
}

async fn run(mut writer: Writer, mut rx: mpsc::Receiver<Job>, stop: CancellationToken) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let received = tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => n,
            _ = stop.cancelled() => {
                // Everything queued before the sessions ended is still written.
                while let Ok(job) = rx.try_recv() {
                    batch.push(job);
                    if batch.len() == MAX_BATCH {
                        commit(&mut writer, &mut batch, end).await;
                    }
                }
                commit(&mut writer, &mut batch, end).await;
                return;
            }
        };
        if received == 0 {
            return;
        }
        commit(&mut writer, &mut batch, end).await;
    }
}

/// Ends a batch's transaction: commits it.
async fn end(txn: DatabaseTransaction) -> Result<(), DbErr> {
    txn.commit().await
}

/// What became of a batch's transaction.
pub(super) enum Outcome {
    Stored,
    /// Not stored: each write is redone in a transaction of its own.
    NotStored,
    /// Not stored: the samples' plain insert met a copy of a stored sample (redone ignoring
    /// copies).
    MetCopy,
    /// The commit failed and its mark could not be read.
    Unknown,
}

/// Commits the batch in one transaction (ended by `end`), or, if that fails, each write in its
/// own, unless the batch's mark says the failed commit went through.
async fn commit(
    writer: &mut Writer,
    batch: &mut Vec<Job>,
    end: impl AsyncFn(DatabaseTransaction) -> Result<(), DbErr>,
) {
    if batch.is_empty() {
        return;
    }
    let jobs = std::mem::take(batch);
    writer.batch += 1;
    #[expect(clippy::cast_precision_loss, reason = "a batch holds at most MAX_BATCH writes")]
    metrics::histogram!(crate::metrics::GROUP_COMMIT_BATCH_SIZE).record(jobs.len() as f64);
    let started = std::time::Instant::now();
    let answer = |outcome: fn() -> Result<(), StoreError>, jobs: Vec<Job>| {
        for (write, reply) in jobs {
            let _ = reply.send((write, outcome()));
        }
    };
    let mut outcome = try_batch(writer, &jobs, Copies::Fail, &end).await;
    if let Outcome::MetCopy = outcome {
        outcome = try_batch(writer, &jobs, Copies::Ignore, &end).await;
    }
    metrics::histogram!(crate::metrics::DB_QUERY_DURATION, "operation" => crate::metrics::DB_GROUP_COMMIT)
        .record(started.elapsed().as_secs_f64());
    match outcome {
        Outcome::Stored => answer(|| Ok(()), jobs),
        Outcome::Unknown => answer(|| Err(StoreError::Commit("outcome unknown".into())), jobs),
        Outcome::NotStored | Outcome::MetCopy => {
            for (write, reply) in jobs {
                let outcome = alone(&writer.store, &write).await;
                let _ = reply.send((write, outcome));
            }
        }
    }
}

/// The batch in one transaction with its mark (or, on PostgreSQL, one statement when it can:
/// see `batch_one`); after a failed commit, the mark tells whether it is stored (read while this
/// process's writing turn is still held).
async fn try_batch(
    writer: &Writer,
    jobs: &[Job],
    copies: Copies,
    end: &impl AsyncFn(DatabaseTransaction) -> Result<(), DbErr>,
) -> Outcome {
    if let Some(statement) = super::batch_one::statement(writer, jobs, copies) {
        return super::batch_one::store(writer, statement, copies, &super::batch_one::execute).await;
    }
    let Ok((_turn, txn)) = writer.store.begin_write().await else { return Outcome::NotStored };
    if let Err(failed) = apply_all(&txn, jobs, copies).await {
        let _ = txn.rollback().await;
        let met_copy = matches!(&failed, StoreError::Duplicate(_));
        return if met_copy && copies == Copies::Fail { Outcome::MetCopy } else { Outcome::NotStored };
    }
    // A failed mark drops the transaction, which rolls it back.
    if writer.mark(&txn).await.is_err() {
        return Outcome::NotStored;
    }
    if end(txn).await.is_ok() {
        return Outcome::Stored;
    }
    writer.judged_by_mark().await
}

/// The whole batch on one transaction, all its samples in one insert.
async fn apply_all(txn: &DatabaseTransaction, jobs: &[Job], copies: Copies) -> Result<(), StoreError> {
    let mut rows = SampleRows::new(txn.get_database_backend(), copies);
    for (write, _) in jobs {
        match write {
            Write::Samples { charger_id, transaction_id, evse_id, connector_id, samples } => {
                rows.add(charger_id, *transaction_id, *evse_id, *connector_id, samples);
            }
            other => apply(txn, other).await?,
        }
    }
    rows.insert(txn).await
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
            insert_samples(db, charger_id, *transaction_id, *evse_id, *connector_id, samples).await
        }
        Write::Online { charger_id, presence, at } => record_online_on(db, charger_id, presence, *at).await,
        Write::Offline { charger_id, token } => record_offline_on(db, charger_id, token).await,
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
