//! Going offline and back: calls queued while the connection is down, replayed on reconnect
//! with the transaction ids the CSMS gives the queued starts.

use super::*;

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
        let text = self.queued_text(&request)?;
        self.queued.push_back(Queued { text, starts: None });
        Ok(())
    }

    /// Queues a 1.6 StartTransaction while offline and returns the local transaction id (negative)
    /// that the session's later messages carry until the replay learns the CSMS's.
    pub fn queue_start_16(&mut self, request: v16::StartTransactionRequest) -> Result<i32, SimError> {
        let local = -i32::try_from(self.local_transactions.len() + 1).unwrap_or(i32::MAX);
        let text = self.queued_text(&request)?;
        self.queued.push_back(Queued { text, starts: Some(local) });
        self.local_transactions.insert(local, None);
        Ok(local)
    }

    /// The CSMS's transaction id for a 1.6 transaction started offline with id `local`, once
    /// its StartTransaction was replayed.
    pub fn replayed_transaction(&self, local: i32) -> Option<i32> {
        self.local_transactions.get(&local).copied().flatten()
    }

    fn queued_text<R: OcppRequest>(&mut self, request: &R) -> Result<String, SimError> {
        let id = self.next_id.to_string();
        self.next_id += 1;
        Outgoing::Call { id: &id, action: R::ACTION.as_str(), payload: request }
            .to_text()
            .map_err(|e| SimError::Protocol(e.to_string()))
    }

    /// A queued 1.6 frame with its local transaction id replaced by the CSMS's, when known.
    fn with_replayed_transaction(&self, text: String) -> String {
        let Ok(mut frame) = serde_json::from_str::<serde_json::Value>(&text) else { return text };
        let Some(slot) = frame.get_mut(3).and_then(|payload| payload.get_mut("transactionId")) else { return text };
        let local = slot.as_i64().and_then(|v| i32::try_from(v).ok());
        match local.and_then(|local| self.replayed_transaction(local)) {
            Some(remote) => {
                *slot = remote.into();
                frame.to_string()
            }
            None => text,
        }
    }

    /// Connects again and replays the queue in order, each frame answered before the next;
    /// returns how many were replayed. A 1.6 transaction started offline gets its CSMS id from
    /// the replayed StartTransaction's answer, and the frames after it carry that id. A
    /// CALLERROR stops the replay.
    pub async fn reconnect(&mut self) -> Result<usize, SimError> {
        let (socket, version) = Self::open(&self.options).await?;
        self.socket = socket;
        self.version = version;
        self.connections += 1;
        self.offline = false;
        let mut replayed = 0;
        while let Some(queued) = self.queued.pop_front() {
            let text = self.with_replayed_transaction(queued.text);
            let Ok(Frame::Call(call)) = Frame::parse(&text) else { continue };
            let id = call.id.to_string();
            self.send_text(&text).await?;
            loop {
                let answer = self.recv_text().await?;
                match Frame::parse(&answer) {
                    Ok(Frame::CallResult(result)) if result.id.as_str() == id => {
                        if let Some(local) = queued.starts {
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
                        break;
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
            replayed += 1;
        }
        Ok(replayed)
    }

    /// How many connections this charger made (1, plus one per reboot).
    pub fn connections(&self) -> u32 {
        self.connections
    }
}
