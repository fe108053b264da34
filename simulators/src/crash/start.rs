//! A driver's session begins: the order made (prepaid from the balance, or postpaid), paid,
//! started remotely — the charger answers the RemoteStartTransaction and starts the transaction
//! with the driver's tag — and seen CHARGING.

use super::messages::{Reading, event_201, status_201};
use super::session::{Session, SessionError};
use crate::SimError;
use crate::messages::status_notification;
use protocol::v201::TransactionEventEnumType::Started;
use protocol::{OcppVersion, v16, v201};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{Instant, sleep};

/// How long an order may take to show CHARGING after its charger started.
const CHARGING_WITHIN: Duration = Duration::from_secs(60);

impl Session {
    /// The order made, paid (prepaid), started remotely, the transaction started by the charger,
    /// and the order seen CHARGING.
    pub(super) async fn start(&mut self) -> Result<(), SessionError> {
        let mut ask = json!({"pileCode": self.rig.pile, "connectorId": 1, "payMode": "postpaid"});
        if self.rig.prepaid {
            ask = json!({"pileCode": self.rig.pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": super::setup::PREPAY});
        }
        let created = self.rest("create", "POST", "/api/v1/orders", Some(&ask), 201).await?;
        let no =
            created["orderNo"].as_str().ok_or_else(|| SessionError::Order(format!("no order number: {created}")))?;
        let no = no.to_owned();
        self.outcome.order_no = Some(no.clone());
        if self.rig.prepaid {
            let pay = json!({"orderNo": no, "method": "balance"});
            self.rest("pay", "POST", "/api/v1/payments", Some(&pay), 201).await?;
        }
        self.remote_start(&no).await?;
        // Stamped as begun `began_ago` ago by the charger's clock: the bill is one of minutes at
        // the pile's rated power, as a real session's.
        let began_ago = chrono::Duration::from_std(self.shared.began_ago).unwrap_or_default();
        self.started_at = self.tick() - began_ago;
        let begin = Reading { wh: self.rig.register_wh, power_w: 0, at: self.started_at };
        match self.rig.version {
            OcppVersion::V16 => {
                let start = v16::StartTransactionRequest {
                    connector_id: 1,
                    id_tag: self.rig.user.id_tag.clone(),
                    meter_start: begin.wh,
                    reservation_id: None,
                    timestamp: begin.at,
                };
                let started = self.rig.cp.call(start).await?;
                if started.id_tag_info.status != v16::AuthorizationStatus::Accepted {
                    return Err(SessionError::Order(format!("start answered {:?}", started.id_tag_info.status)));
                }
                self.transaction = started.transaction_id;
                let at = self.tick();
                self.rig.cp.call(status_notification(1, v16::ChargePointStatus::Charging, Some(at))).await?;
            }
            OcppVersion::V201 => {
                let event = event_201(Started, (&self.transaction_201, 0), &self.rig.user.id_tag, begin, false);
                self.seq_no = 1;
                let started = self.rig.cp.call(event).await?;
                let status = started.id_token_info.map(|info| info.status);
                if status.is_some_and(|s| s != v201::AuthorizationStatusEnumType::Accepted) {
                    return Err(SessionError::Order(format!("start answered {status:?}")));
                }
                let at = self.tick();
                self.rig.cp.call(status_201(v201::ConnectorStatusEnumType::Occupied, at)).await?;
            }
        }
        let deadline = Instant::now() + CHARGING_WITHIN;
        loop {
            let order = self.rest("get", "GET", &format!("/api/v1/orders/{no}"), None, 200).await?;
            match order["status"].as_str() {
                Some("CHARGING") => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(SessionError::Order(format!("never CHARGING: {}", order["status"])));
                }
                _ => sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// POSTs the order's start while the charger answers the RemoteStartTransaction (1.6) or
    /// RequestStartTransaction (2.0.1) it brings.
    async fn remote_start(&mut self, no: &str) -> Result<(), SessionError> {
        let path = format!("/api/v1/orders/{no}/start");
        let post = self.shared.api.send("POST", &path, Some(&self.rig.user.token), None);
        let cp = &mut self.rig.cp;
        let serve = async move {
            loop {
                let served = cp.serve_calls(1, None).await?;
                if served.iter().any(|a| a == "RemoteStartTransaction" || a == "RequestStartTransaction") {
                    return Ok::<(), SimError>(());
                }
            }
        };
        tokio::pin!(post, serve);
        let (mut posted, mut served) = (None, false);
        while posted.is_none() || !served {
            tokio::select! {
                answer = &mut post, if posted.is_none() => {
                    let answer = answer.map_err(|e| SessionError::Io("start", e))?;
                    if answer.status != 200 {
                        let code = answer.body["error"].as_str().unwrap_or("").to_owned();
                        return Err(SessionError::Refused("start", answer.status, code));
                    }
                    posted = Some(answer);
                }
                done = &mut serve, if !served => {
                    done?;
                    served = true;
                }
            }
        }
        Ok(())
    }

    /// A REST call of the driver; an answer of another status than `ok` is an error.
    async fn rest(
        &self,
        call: &'static str,
        method: &str,
        path: &str,
        body: Option<&Value>,
        ok: u16,
    ) -> Result<Value, SessionError> {
        let answer = self.shared.api.send(method, path, Some(&self.rig.user.token), body).await;
        let answer = answer.map_err(|e| SessionError::Io(call, e))?;
        if answer.status != ok {
            let code = answer.body["error"].as_str().unwrap_or("").to_owned();
            return Err(SessionError::Refused(call, answer.status, code));
        }
        Ok(answer.body)
    }
}
