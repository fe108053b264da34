//! Logging OCPP frames without slowing sessions: a session hands a frame to a bounded queue
//! and moves on; one writer task stores the queue in batches. When the queue is full (the
//! database cannot keep up) frames are dropped and counted, never waited for.

use crate::config::LogMode;
use crate::store::{MessageRecord, Store};
use chrono::Utc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant, timeout_at};
use tokio_util::sync::CancellationToken;

/// Frames queued per writer before new ones are dropped.
const QUEUE: usize = 16_384;
/// Frames stored per statement.
const BATCH: usize = 512;
/// How long the writer waits for more frames after the first of a statement: a quiet log still
/// stores several frames per statement (at 20 orders a second, their commands and answers took
/// 3.4 statements an order, one each). A frame is stored at most this much later.
const LINGER: Duration = Duration::from_millis(200);

/// The message log's handle, shared by every session.
#[derive(Debug, Clone)]
pub struct MessageLog {
    mode: LogMode,
    queue: Option<mpsc::Sender<MessageRecord>>,
    dropped: Arc<AtomicU64>,
}

/// The writer task: cancel `stop` once no session can log any more, then await `task`.
#[derive(Debug)]
pub struct Writer {
    pub stop: CancellationToken,
    pub task: JoinHandle<()>,
}

impl MessageLog {
    /// Starts the writer (none when the mode is `off`).
    pub fn start(mode: LogMode, store: Store) -> (Self, Option<Writer>) {
        let dropped = Arc::new(AtomicU64::new(0));
        if mode == LogMode::Off {
            return (MessageLog { mode, queue: None, dropped }, None);
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        let stop = CancellationToken::new();
        let task = tokio::spawn(write(store, rx, stop.clone()));
        (MessageLog { mode, queue: Some(queue), dropped }, Some(Writer { stop, task }))
    }

    /// Whether a frame of this importance is logged (errors and commands are important).
    pub(crate) fn wants(&self, important: bool) -> bool {
        match self.mode {
            LogMode::Off => false,
            LogMode::Errors => important,
            LogMode::All => true,
        }
    }

    /// Queues a frame; drops it (and counts it) when the queue is full.
    pub(crate) fn record(
        &self,
        charger_id: &str,
        direction: &'static str,
        message_type: &'static str,
        message_id: Option<String>,
        action: Option<String>,
        frame: &str,
    ) {
        let Some(queue) = &self.queue else { return };
        let record = MessageRecord {
            at: Utc::now(),
            charger_id: charger_id.to_owned(),
            direction,
            message_type,
            // What is logged is what failed, too: a NUL that PostgreSQL refuses is replaced.
            message_id: message_id.map(|id| crate::store::storable(&id)),
            action: action.map(|action| crate::store::storable(&action)),
            frame: crate::store::storable(frame),
        };
        if queue.try_send(record).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "message log queue full: frames dropped");
            }
        }
    }

    /// Frames dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

async fn write(store: Store, mut rx: mpsc::Receiver<MessageRecord>, stop: CancellationToken) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let received = tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => n,
            _ = stop.cancelled() => {
                // Drain what the sessions logged before they ended.
                while let Ok(record) = rx.try_recv() {
                    batch.push(record);
                    if batch.len() == BATCH {
                        flush(&store, &mut batch).await;
                    }
                }
                flush(&store, &mut batch).await;
                return;
            }
        };
        if received == 0 {
            return;
        }
        linger(&mut rx, &mut batch, &stop).await;
        flush(&store, &mut batch).await;
    }
}

/// Adds to `batch` what comes within `LINGER` (up to `BATCH` frames; until `stop`).
async fn linger(rx: &mut mpsc::Receiver<MessageRecord>, batch: &mut Vec<MessageRecord>, stop: &CancellationToken) {
    let until = Instant::now() + LINGER;
    while batch.len() < BATCH {
        let room = BATCH - batch.len();
        tokio::select! {
            more = timeout_at(until, rx.recv_many(batch, room)) => match more {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            _ = stop.cancelled() => return,
        }
    }
}

async fn flush(store: &Store, batch: &mut Vec<MessageRecord>) {
    let records = std::mem::take(batch);
    let count = records.len();
    if let Err(e) = store.log_messages(records).await {
        tracing::warn!(error = %e, frames = count, "storing logged frames failed");
    }
}
