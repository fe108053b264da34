//! One driver's loop: order after order over the REST API while their charger plays its part —
//! answering the remote start and stop, starting and stopping the transaction with the driver's
//! tag, metering in between, reporting its connector Available again (the charger's part:
//! `charger_part`).

mod charger_part;
mod mqtt_part;

use super::setup::{PileLink, Rig};
use super::{Call, DriversPlan, Tally};
use crate::SimError;
use chrono::{DateTime, Utc};
use protocol::v16;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::{Instant, sleep, sleep_until};

/// How long an order may take to reach a status before the driver gives up on it.
const WAIT_FOR_STATUS: Duration = Duration::from_secs(60);
/// How long after a phase's end an order under way may still take (then the driver gives up on
/// it, and the next phase begins without waiting for it: its pile may still be held).
const DRAIN: Duration = Duration::from_secs(60);

/// Why an order went wrong.
#[derive(Debug, thiserror::Error)]
enum DriverError {
    #[error("{0}: HTTP {1} {2}")]
    Refused(&'static str, u16, String),
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    #[error("{0}: {1}")]
    Answer(&'static str, String),
    #[error("charger: {0}")]
    Charger(#[from] SimError),
    #[error("order never {0} (last {1})")]
    NeverReached(&'static str, String),
}

impl DriverError {
    /// The kind, for counting.
    fn kind(&self) -> String {
        match self {
            DriverError::Refused(call, status, code) => format!("{call}: HTTP {status} {code}"),
            DriverError::Io(call, e) => format!("{call}: {}", e.kind()),
            DriverError::Answer(call, _) => format!("{call}: unexpected answer"),
            DriverError::Charger(e) => format!("charger: {}", short(&e.to_string())),
            DriverError::NeverReached(status, last) => format!("never {status} (stuck {last})"),
        }
    }

    /// The charger's connection is gone: nothing more to drive.
    fn fatal(&self) -> bool {
        matches!(self, DriverError::Charger(SimError::Closed(_) | SimError::Socket(_)))
    }
}

fn short(text: &str) -> String {
    text.chars().take(80).collect()
}

/// What the current order got to, for recovering after an error.
#[derive(Debug, Default)]
struct Progress {
    order_no: Option<String>,
    transaction: Option<i32>,
}

/// The driver and charger state kept across orders.
struct Driving<'a> {
    rig: Rig,
    plan: &'a DriversPlan,
    tally: Tally,
    /// The timed phase: calls sent within it are measured, orders completed within it counted.
    window: (Instant, Instant),
    /// The charger's energy register, Wh.
    register_wh: i64,
    /// The charger's clock: every message later than the one before.
    clock: DateTime<Utc>,
}

/// Drives from `first` until the end of `window` (an order under way then is finished, not
/// counted; one completed within the window counts, whenever it began), orders back to back or
/// `period` apart; gives the rig back unless its charger's connection was lost.
pub(super) async fn drive(
    mut rig: Rig,
    plan: &DriversPlan,
    first: Instant,
    period: Option<Duration>,
    window: (Instant, Instant),
) -> (Option<Rig>, Tally) {
    if let PileLink::Ocpp(cp) = &mut rig.cp {
        cp.record_round_trips();
        let _ = cp.take_round_trips();
    }
    let register_wh = rig.register_wh;
    let mut d = Driving { rig, plan, tally: Tally::default(), window, register_wh, clock: Utc::now() };
    let mut next = first;
    let mut lost = false;
    loop {
        // Never past the phase's end: a slow pace may give a driver no order in it at all.
        sleep_until(next.min(window.1)).await;
        if Instant::now() >= window.1 {
            break;
        }
        let began = Instant::now();
        if let Some(period) = period {
            // Open loop: the next start is due a period after this one, not after this ends.
            next = began + period;
        }
        let mut progress = Progress::default();
        match d.order(&mut progress).await {
            Ok(()) => {
                // Throughput: the orders completed within the window, whenever they began.
                let done = Instant::now();
                if done >= window.0 && done < window.1 {
                    d.tally.orders += 1;
                    d.tally.add(Call::Order, began.elapsed());
                }
            }
            Err(e) => {
                d.tally.error(e.kind());
                if e.fatal() {
                    lost = true;
                    break;
                }
                if Instant::now() < window.1 + DRAIN {
                    d.recover(progress).await;
                }
            }
        }
        if period.is_none() {
            next = Instant::now();
        }
    }
    let (from, until) = d.window;
    if let PileLink::Ocpp(cp) = &mut d.rig.cp {
        for trip in cp.take_round_trips() {
            if trip.sent >= from && trip.sent < until {
                d.tally.add(Call::Ocpp, trip.took);
            }
        }
    }
    d.rig.register_wh = d.register_wh;
    ((!lost).then_some(d.rig), d.tally)
}

impl Driving<'_> {
    /// One whole order: create, pay, start, charge, stop, completed.
    async fn order(&mut self, progress: &mut Progress) -> Result<(), DriverError> {
        if matches!(self.rig.cp, PileLink::Mqtt(_)) {
            return self.order_on_mqtt(progress).await;
        }
        let no = self.create_and_pay(progress).await?;
        self.act(Call::Start, &format!("/api/v1/orders/{no}/start"), "RemoteStartTransaction").await?;

        let meter_start = self.register_wh;
        let started = self.start_transaction(meter_start).await?;
        let (begun, stamped) = (Instant::now(), self.clock);
        if started.id_tag_info.status != v16::AuthorizationStatus::Accepted {
            return Err(DriverError::Answer("StartTransaction", format!("{:?}", started.id_tag_info.status)));
        }
        let transaction = started.transaction_id;
        progress.transaction = Some(transaction);
        self.status(v16::ChargePointStatus::Charging).await?;
        // Two meter values on the way, a third and two thirds into the time it charges.
        for step in 1..=2u32 {
            sleep_until(begun + self.plan.charge_for * step / 3).await;
            let at = self.tick();
            self.register_wh = meter_start + self.delivered_wh(stamped, at);
            let reading = charger_part::energy(transaction, self.register_wh, at);
            self.charger()?.call(reading).await?;
        }
        self.wait_for(&no, "CHARGING").await?;
        self.measure(Call::Charging, begun);
        sleep_until(begun + self.plan.charge_for).await;
        self.act(Call::Stop, &format!("/api/v1/orders/{no}/stop"), "RemoteStopTransaction").await?;
        let meter_stop = meter_start + self.delivered_wh(stamped, self.clock + chrono::Duration::milliseconds(10));
        self.stop_transaction(transaction, meter_stop).await?;
        let ended = Instant::now();
        progress.transaction = None;
        self.status(v16::ChargePointStatus::Available).await?;
        self.wait_for(&no, "COMPLETED").await?;
        self.measure(Call::Completed, ended);
        Ok(())
    }

    /// A prepaid order on the driver's pile, paid from the balance: its number.
    async fn create_and_pay(&mut self, progress: &mut Progress) -> Result<String, DriverError> {
        let ask = json!({"pileCode": self.rig.driver.pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": self.plan.prepay});
        let created = self.rest(Call::Create, "POST", "/api/v1/orders", Some(&ask), 201).await?;
        let no = created["orderNo"].as_str().ok_or_else(|| DriverError::Answer("create", created.to_string()))?;
        let no = no.to_owned();
        progress.order_no = Some(no.clone());
        let pay = json!({"orderNo": no, "method": "balance"});
        self.rest(Call::Pay, "POST", "/api/v1/payments", Some(&pay), 201).await?;
        Ok(no)
    }

    /// The energy the pile delivers at its rated power between two of its stamps, Wh (rounded
    /// down: never more than it could).
    fn delivered_wh(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let ms = (to - from).num_milliseconds().max(0);
        ms.saturating_mul(i64::from(self.plan.pile_kw)) / 3_600
    }

    /// After an error: stops a transaction left open, cancels an order not yet started, waits
    /// for one under way to complete — so that the driver and the pile are free again.
    async fn recover(&mut self, progress: Progress) {
        match self.free_again(progress).await {
            Ok(()) => sleep(Duration::from_millis(100)).await,
            Err(e) => {
                self.tally.error(format!("recovering: {}", e.kind()));
                sleep(Duration::from_secs(1)).await;
            }
        }
    }

    async fn free_again(&mut self, progress: Progress) -> Result<(), DriverError> {
        if matches!(self.rig.cp, PileLink::Mqtt(_)) {
            return self.free_mqtt_again(progress).await;
        }
        if let Some(transaction) = progress.transaction {
            // Where the register stood at its last meter value.
            self.stop_transaction(transaction, self.register_wh).await?;
            self.status(v16::ChargePointStatus::Available).await?;
        }
        let Some(no) = progress.order_no else { return Ok(()) };
        let Some(status) = self.cancelled_or_status(&no).await? else { return Ok(()) };
        match status.as_str() {
            "STARTING" if progress.transaction.is_none() => {
                // The remote start may have been answered: start and stop at once.
                let started = self.start_transaction(self.register_wh).await?;
                self.stop_transaction(started.transaction_id, self.register_wh).await?;
                self.status(v16::ChargePointStatus::Available).await?;
                self.wait_for(&no, "COMPLETED").await.map(drop)
            }
            "CHARGING" | "STARTING" => self.wait_for(&no, "COMPLETED").await.map(drop),
            _ => Ok(()),
        }
    }

    /// Cancels the order if it has not started yet (None); else its status.
    async fn cancelled_or_status(&mut self, no: &str) -> Result<Option<String>, DriverError> {
        let path = format!("/api/v1/orders/{no}");
        let found = self.rest(Call::Get, "GET", &path, None, 200).await?;
        match found["status"].as_str().unwrap_or("") {
            "PENDING_PAYMENT" | "READY" => {
                self.rest(Call::Cancel, "POST", &format!("{path}/cancel"), None, 200).await?;
                Ok(None)
            }
            status => Ok(Some(status.to_owned())),
        }
    }

    /// A REST call of the driver, timed; an answer of another status than `ok` is an error.
    async fn rest(
        &mut self,
        call: Call,
        method: &str,
        path: &str,
        body: Option<&Value>,
        ok: u16,
    ) -> Result<Value, DriverError> {
        let sent = Instant::now();
        let answer = self.rig.api.send(method, path, Some(&self.rig.driver.token), body).await;
        self.measure(call, sent);
        let answer = answer.map_err(|e| DriverError::Io(call.name(), e))?;
        if answer.status != ok {
            let code = answer.body["error"].as_str().unwrap_or("").to_owned();
            return Err(DriverError::Refused(call.name(), answer.status, code));
        }
        Ok(answer.body)
    }

    /// A POST that makes the CSMS call the charger (`action`), answered while the POST waits.
    async fn act(&mut self, call: Call, path: &str, action: &str) -> Result<Value, DriverError> {
        let Rig { driver, cp, api, .. } = &mut self.rig;
        let api = &*api;
        let sent = Instant::now();
        let post = api.send("POST", path, Some(&driver.token), None);
        // An MQTT pile answers csms's command by itself.
        let serve = async {
            match cp {
                PileLink::Ocpp(cp) => charger_part::serve_until(cp, action).await,
                PileLink::Mqtt(_) => Ok(()),
            }
        };
        tokio::pin!(post, serve);
        let (mut answer, mut served, mut took) = (None, false, Duration::ZERO);
        while answer.is_none() || !served {
            tokio::select! {
                posted = &mut post, if answer.is_none() => {
                    took = sent.elapsed();
                    let posted = posted.map_err(|e| DriverError::Io(call.name(), e))?;
                    let refused = posted.status != 200;
                    answer = Some(posted);
                    if refused {
                        break;
                    }
                }
                done = &mut serve, if !served => {
                    done?;
                    served = true;
                }
            }
        }
        if sent >= self.window.0 && sent < self.window.1 {
            self.tally.add(call, took);
        }
        let answer = answer.ok_or_else(|| DriverError::Answer(call.name(), "no answer".into()))?;
        if answer.status != 200 {
            let code = answer.body["error"].as_str().unwrap_or("").to_owned();
            return Err(DriverError::Refused(call.name(), answer.status, code));
        }
        Ok(answer.body)
    }

    /// Waits until the order is `status` (a failed or cancelled order never will be), told by
    /// the driver's event stream; asks for the order when the stream fell behind or broke.
    async fn wait_for(&mut self, no: &str, status: &'static str) -> Result<(), DriverError> {
        let deadline = (Instant::now() + WAIT_FOR_STATUS).min(self.window.1 + DRAIN);
        let mut last = String::from("no event");
        loop {
            let heard = match tokio::time::timeout_at(deadline, self.rig.events.recv()).await {
                Ok(Some(event)) if event.name == "lagged" => None,
                Ok(Some(event)) if event.name.starts_with("order.") && event.data["orderNo"] == no => {
                    Some(event.data["status"].as_str().unwrap_or("").to_owned())
                }
                Ok(Some(_)) => continue,
                // The stream broke: ask until the deadline.
                Ok(None) if Instant::now() < deadline => {
                    sleep(self.plan.poll_interval).await;
                    None
                }
                Ok(None) => return Err(DriverError::NeverReached(status, last)),
                // Nothing heard in time: one last look (a change no event told of).
                Err(_) => {
                    let found = self.rest(Call::Get, "GET", &format!("/api/v1/orders/{no}"), None, 200).await?;
                    let now = found["status"].as_str().unwrap_or("").to_owned();
                    return if now == status { Ok(()) } else { Err(DriverError::NeverReached(status, now)) };
                }
            };
            let now = match heard {
                Some(now) => now,
                None => {
                    let found = self.rest(Call::Get, "GET", &format!("/api/v1/orders/{no}"), None, 200).await?;
                    found["status"].as_str().unwrap_or("").to_owned()
                }
            };
            if now == status {
                return Ok(());
            }
            if matches!(now.as_str(), "FAILED" | "CANCELLED" | "COMPLETED") {
                return Err(DriverError::NeverReached(status, now));
            }
            last = now;
        }
    }

    fn measure(&mut self, call: Call, sent: Instant) {
        if sent >= self.window.0 && sent < self.window.1 {
            self.tally.add(call, sent.elapsed());
        }
    }
}
