//! A simulated charger serving the CSMS's calls: answering a number of them (seen, or held to
//! check the CSMS keeps one outstanding), or all of them until the connection closes, doing
//! what each asks (a session, a reboot, a triggered message).

use super::SimCharger;
use crate::responder::Effect;
use crate::{SessionPlan, SimError};
use futures_util::StreamExt;
use protocol::Frame;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

impl SimCharger {
    /// Answers the next `count` calls of the CSMS, returning each one's action and payload.
    pub async fn serve_calls_seen(&mut self, count: usize) -> Result<Vec<(String, serde_json::Value)>, SimError> {
        let mut seen = Vec::with_capacity(count);
        while seen.len() < count {
            let text = self.recv_text().await?;
            let Ok(Frame::Call(call)) = Frame::parse(&text) else {
                continue;
            };
            let frame: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            seen.push((call.action.to_string(), frame.get(3).cloned().unwrap_or_default()));
            self.answer(&call).await?;
        }
        Ok(seen)
    }

    /// Answers the next `count` calls of the CSMS, returning their actions. With `hold`, each
    /// answer waits that long, and a second call arriving meanwhile is an error: the CSMS must
    /// keep at most one call outstanding.
    pub async fn serve_calls(&mut self, count: usize, hold: Option<Duration>) -> Result<Vec<String>, SimError> {
        let mut actions = Vec::with_capacity(count);
        while actions.len() < count {
            let text = self.recv_text().await?;
            let Ok(Frame::Call(call)) = Frame::parse(&text) else {
                continue;
            };
            if let Some(hold) = hold {
                match tokio::time::timeout(hold, self.socket.next()).await {
                    Err(_) => {}
                    Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                    Ok(other) => {
                        return Err(SimError::Protocol(format!(
                            "a second frame arrived while call {} was unanswered: {other:?}",
                            call.id
                        )));
                    }
                }
            }
            actions.push(call.action.to_string());
            self.answer(&call).await?;
        }
        Ok(actions)
    }

    /// Answers calls until the connection closes (run it in its own task).
    pub async fn serve(mut self) -> Result<(), SimError> {
        loop {
            let text = match self.recv_text().await {
                Ok(text) => text,
                Err(SimError::Timeout(_)) => continue,
                Err(SimError::Closed(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            let effect = match Frame::parse(&text) {
                Ok(Frame::Call(call)) => self.answer(&call).await?,
                _ => None,
            };
            match effect {
                Some(Effect::StartSession { connector_id, id_tag, limit_w }) => {
                    let mut plan = SessionPlan::new(connector_id, id_tag);
                    // The TxProfile's limit, when it is lower than what the charger can.
                    plan.max_power_w =
                        limit_w.filter(|w| *w > 0.0).map_or(plan.max_power_w, |w| w.min(plan.max_power_w));
                    self.run_session(&plan).await?;
                }
                Some(Effect::Reboot) => self.reboot().await?,
                Some(Effect::Send(action)) => self.send_triggered(action).await?,
                None => {}
            }
        }
    }
}
