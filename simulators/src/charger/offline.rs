//! Going offline and back: calls queued while the connection is down, replayed on reconnect
//! with the transaction ids the CSMS gives the queued starts. A queued frame leaves the queue
//! only once the CSMS answered it (a charger keeps OCPP's transaction-related messages until they
//! are delivered), so a connection lost in the middle of a replay loses nothing: the next
//! reconnect sends the unanswered frame again.

use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Notify;

/// Frames replayed and answered, counted across chargers, with a wake-up for a task waiting for
/// the count to reach a number (a crash check kills the CSMS in the middle of the replays).
#[derive(Debug, Default)]
pub struct ReplayCount {
    count: AtomicUsize,
    changed: Notify,
}

impl ReplayCount {
    /// Frames replayed so far.
    pub fn get(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Returns once `n` frames are replayed: woken by the frame that makes `n`, not by a timer.
    pub async fn reached(&self, n: usize) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.get() >= n {
                return;
            }
            changed.await;
        }
    }

    fn add(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.changed.notify_waiters();
    }
}

impl SimCharger {
    /// Whether the charger is offline (queueing its calls).
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// Loses the connection: the socket closes, and calls go to the queue until `reconnect`.
    pub async fn go_offline(&mut self) {
        let _ = self.socket.close(None).await;
        self.offline = true;
    }

    /// Queues a call while offline (a charger keeps its transaction messages for later).
    pub fn queue<R: OcppRequest>(&mut self, request: R) -> Result<(), SimError> {
        let text = self.call_text(&request)?;
        self.queued.push_back(Queued { text, starts: None });
        Ok(())
    }

    /// How many frames wait in the queue.
    pub fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Adds every replayed frame, once answered, to `counter` too (a fleet's progress).
    pub fn count_replays_in(&mut self, counter: Arc<ReplayCount>) {
        self.replays = Some(counter);
    }

    /// Sends a transaction message whose answer the charger does not need (MeterValues, a 1.6
    /// StopTransaction, a 2.0.1 TransactionEvent other than the start) and keeps it until it is
    /// answered: offline, it is queued; when the connection breaks (or no answer comes in time)
    /// before its answer, the charger goes offline and queues it for the replay. Its outcome is
    /// then unknown — the CSMS may have stored it before the connection broke — and the copy
    /// replayed must change nothing. Answers the response, or `None` when it was queued.
    pub async fn send_kept<R: OcppRequest>(&mut self, request: R) -> Result<Option<R::Response>, SimError> {
        if self.offline {
            self.queue(request)?;
            return Ok(None);
        }
        let text = self.call_text(&request)?;
        match self.exchange_text::<R>(&text).await {
            Ok(response) => Ok(Some(response)),
            Err(e) if e.lost_connection() => {
                self.go_offline().await;
                self.queued.push_back(Queued { text, starts: None });
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Queues a 1.6 StartTransaction while offline and returns the local transaction id (negative)
    /// that the session's later messages carry until the replay learns the CSMS's.
    pub fn queue_start_16(&mut self, request: v16::StartTransactionRequest) -> Result<i32, SimError> {
        let local = -i32::try_from(self.local_transactions.len() + 1).unwrap_or(i32::MAX);
        let text = self.call_text(&request)?;
        self.queued.push_back(Queued { text, starts: Some(local) });
        self.local_transactions.insert(local, None);
        Ok(local)
    }

    /// The CSMS's transaction id for a 1.6 transaction started offline with id `local`, once
    /// its StartTransaction was replayed.
    pub fn replayed_transaction(&self, local: i32) -> Option<i32> {
        self.local_transactions.get(&local).copied().flatten()
    }

    /// A queued 1.6 frame with its local transaction id replaced by the CSMS's, when known.
    fn with_replayed_transaction(&self, text: &str) -> String {
        let Ok(mut frame) = serde_json::from_str::<serde_json::Value>(text) else { return text.to_owned() };
        let Some(slot) = frame.get_mut(3).and_then(|payload| payload.get_mut("transactionId")) else {
            return text.to_owned();
        };
        let local = slot.as_i64().and_then(|v| i32::try_from(v).ok());
        match local.and_then(|local| self.replayed_transaction(local)) {
            Some(remote) => {
                *slot = remote.into();
                frame.to_string()
            }
            None => text.to_owned(),
        }
    }

    /// Connects again and replays the queue in order, each frame answered before the next;
    /// returns how many were replayed. A 1.6 transaction started offline gets its CSMS id from
    /// the replayed StartTransaction's answer, and the frames after it carry that id. A
    /// CALLERROR is an answer: its frame leaves the queue and the replay stops with the error.
    /// When the connection breaks (or an answer does not come in time) the charger is offline
    /// again, the unanswered frame first in its queue.
    pub async fn reconnect(&mut self) -> Result<usize, SimError> {
        let (socket, version) = Self::open(&self.options).await?;
        self.socket = socket;
        self.version = version;
        self.connections += 1;
        self.offline = false;
        let mut replayed = 0;
        while let Some(queued) = self.queued.front() {
            let (text, starts) = (self.with_replayed_transaction(&queued.text), queued.starts);
            match self.replay_one(&text, starts).await {
                Ok(()) => {}
                Err(e) if e.lost_connection() => {
                    self.go_offline().await;
                    return Err(e);
                }
                Err(e) => {
                    self.queued.pop_front();
                    return Err(e);
                }
            }
            self.queued.pop_front();
            replayed += 1;
            if let Some(counter) = &self.replays {
                counter.add();
            }
        }
        Ok(replayed)
    }

    /// Sends one queued frame and waits for its answer (answering the CSMS's calls meanwhile);
    /// a replayed 1.6 start's answer maps its local transaction id to the CSMS's.
    async fn replay_one(&mut self, text: &str, starts: Option<i32>) -> Result<(), SimError> {
        let Ok(Frame::Call(call)) = Frame::parse(text) else { return Ok(()) };
        let id = call.id.to_string();
        self.send_text(text).await?;
        loop {
            let answer = self.recv_text().await?;
            match Frame::parse(&answer) {
                Ok(Frame::CallResult(result)) if result.id.as_str() == id => {
                    if let Some(local) = starts {
                        let started = decode_response(
                            SchemaRegistry::global(),
                            <v16::StartTransactionRequest as OcppRequest>::ACTION,
                            &result.payload,
                        )
                        .ok()
                        .and_then(v16::StartTransactionRequest::response_from)
                        .ok_or_else(|| SimError::Protocol("a StartTransaction answer without an id".into()))?;
                        self.local_transactions.insert(local, Some(started.transaction_id));
                    }
                    return Ok(());
                }
                Ok(Frame::CallError(error)) if error.id.as_str() == id => {
                    return Err(SimError::CallError {
                        code: error.code.into_owned(),
                        description: error.description.into_owned(),
                    });
                }
                Ok(Frame::Call(incoming)) => drop(self.answer(&incoming).await?),
                _ => continue,
            }
        }
    }

    /// How many connections this charger made (1, plus one per reboot and reconnection).
    pub fn connections(&self) -> u32 {
        self.connections
    }

    /// Sets how long the charger waits for an answer (10 s by default).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }
}

impl SimError {
    /// Whether the connection is gone (closed, broken, or silent past the deadline): what a
    /// charger sent and got no answer for is to be sent again once connected.
    pub fn lost_connection(&self) -> bool {
        matches!(self, SimError::Socket(_) | SimError::Closed(_) | SimError::Timeout(_))
    }
}
