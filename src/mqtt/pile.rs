//! One worker's piles: each message of a pile, in order, turned into the domain calls an OCPP
//! pile's frames make. A heartbeat keeps the pile online and moves its connector's status (only
//! when it changes) and readings; `charging/status` opens the order's transaction and meters it;
//! `charging/finished` ends it. What a worker remembers of a pile (its record, its presence, its
//! running session) is a cache: everything that matters is stored.

use super::wire::{ChargingStatus, Finished, Heartbeat, PileState};
use super::worker::{Handled, Piles, Session};
use crate::domain::chargers::records::{Presence, StatusRecord};
use crate::domain::chargers::{PileProtocol, Registration, ReportedStatus};
use crate::domain::charging::{EventKind, EventRecord, Sample};
use crate::domain::ids::{ChargerId, OrderNo};
use crate::domain::orders::OrderStatus;
use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// The protocol version presence records for an MQTT pile.
pub(super) const VERSION: &str = "mqtt";

impl Piles {
    /// Refuses a message of `id` unless it is a registered MQTT pile (read at most every
    /// `KNOWN_FOR`).
    pub(super) async fn known(&mut self, id: &ChargerId) -> Result<(), Handled> {
        let known = match self.state(id).known {
            Some((known, at)) if at.elapsed() < super::worker::KNOWN_FOR => known,
            _ => {
                let found = self.services.chargers.find(id).await.map_err(Handled::failed)?;
                let known = found.is_some_and(|pile| {
                    pile.protocol == PileProtocol::Mqtt && pile.registration == Registration::Registered
                });
                self.state(id).known = Some((known, Instant::now()));
                known
            }
        };
        if known { Ok(()) } else { Err(Handled::Refused("unknown_pile")) }
    }

    pub(super) async fn heartbeat(&mut self, id: &ChargerId, beat: Heartbeat) -> Result<&'static str, Handled> {
        self.known(id).await?;
        if beat.state == PileState::Offline {
            self.went_offline(id, "the pile said it went offline (or its last will)").await;
            return Ok("offline");
        }
        self.online(id).await?;
        let at = beat.at.unwrap_or_else(Utc::now);
        let status = match beat.state {
            PileState::Charging => ReportedStatus::Charging,
            PileState::Fault => ReportedStatus::Faulted,
            PileState::Idle | PileState::Offline => ReportedStatus::Available,
        };
        let connector = beat.connector_id;
        if self.state(id).statuses.get(&connector) != Some(&status) {
            let record = StatusRecord {
                evse_id: 0,
                connector_id: connector,
                status,
                error_code: (status == ReportedStatus::Faulted).then(|| "OtherError".to_owned()),
                info: None,
                vendor_id: None,
                vendor_error_code: None,
                at,
            };
            self.services.chargers.status(id, record).await.map_err(Handled::failed)?;
            self.state(id).statuses.insert(connector, status);
        }
        let reading = |measurand: &str, unit: &str, location: &str, value: Option<f64>| {
            value.map(|v| sample(at, measurand, unit, location, "Sample.Periodic", format_value(v)))
        };
        let samples: Vec<Sample> = [
            reading("Voltage", "V", "Outlet", beat.voltage_v),
            reading("Current.Import", "A", "Outlet", beat.current_a),
            reading("Power.Active.Import", "W", "Outlet", beat.power_kw.map(|kw| kw * 1000.0)),
            reading("Temperature", "Celsius", "Body", beat.temperature_c),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !samples.is_empty() {
            let charging = &self.services.charging;
            charging.samples(id, None, 0, connector, samples).await.map_err(Handled::failed)?;
        }
        Ok("stored")
    }

    /// Marks the pile online on its first message since it was offline.
    async fn online(&mut self, id: &ChargerId) -> Result<(), Handled> {
        self.seen.insert(id.clone(), Utc::now());
        let state = self.state(id);
        state.heard = Some(Instant::now());
        if state.presence.is_some() {
            return Ok(());
        }
        let presence = Presence {
            token: crate::domain::chargers::connection_token(),
            node: self.services.cluster.node().to_owned(),
            epoch: self.services.cluster.next_epoch().await,
            version: VERSION.to_owned(),
        };
        self.services.chargers.connected(id, &presence).await.map_err(Handled::failed)?;
        tracing::info!(charger = %id, "mqtt pile online");
        self.state(id).presence = Some(presence.token);
        Ok(())
    }

    /// The pile went offline: its presence ends, and a session still open is closed from its
    /// last status (a `finished` that comes later bills it again).
    pub(super) async fn went_offline(&mut self, id: &ChargerId, why: &str) {
        let state = self.state(id);
        let token = state.presence.take();
        state.statuses.clear();
        let session = state.session.take();
        if let Some(token) = token {
            let last = self.seen.remove(id).map_or_else(Utc::now, |(_, at)| at);
            self.services.chargers.went_away(id, last);
            if let Err(e) = self.services.chargers.disconnected(id, &token).await {
                tracing::warn!(charger = %id, error = %e, "marking an mqtt pile offline failed");
            }
            tracing::info!(charger = %id, why, "mqtt pile offline");
        }
        if let Some(session) = session {
            self.close_unheard(id, &session.order_no, why).await;
        }
    }

    pub(super) async fn close_unheard(&self, id: &ChargerId, order_no: &OrderNo, why: &str) {
        if let Err(e) = self.services.charging.close_unheard(id, order_no.as_str(), why).await {
            tracing::warn!(charger = %id, order = %order_no, error = %e, "closing a session without its end failed");
        }
    }

    pub(super) async fn status(&mut self, id: &ChargerId, status: ChargingStatus) -> Result<&'static str, Handled> {
        self.known(id).await?;
        self.online(id).await?;
        let Some(session) = self.session_of(id, &status.order_no).await? else {
            return Err(Handled::Refused("not_running"));
        };
        let connector = status.connector_id.unwrap_or(session.connector_id);
        let mut samples = Vec::with_capacity(4);
        if session.transaction_id.is_none() {
            // The session's register starts at 0 when it starts: `totalPower` is energy so far.
            let began = status.at - chrono::Duration::seconds(status.total_time_s);
            samples.push(sample(began, ENERGY, "Wh", "Outlet", "Transaction.Begin", "0".into()));
        }
        samples.push(sample(status.at, ENERGY, "Wh", "Outlet", "Sample.Periodic", status.total_wh.to_string()));
        let power = format_value(status.current_power_kw * 1000.0);
        samples.push(sample(status.at, "Power.Active.Import", "W", "Outlet", "Sample.Periodic", power));
        if let Some(soc) = status.soc {
            samples.push(sample(status.at, "SoC", "Percent", "EV", "Sample.Periodic", soc.to_string()));
        }
        let charging = &self.services.charging;
        let transaction_id = match session.transaction_id {
            // Metered: the readings go through the group commit, as an OCPP pile's MeterValues.
            Some(transaction_id) => {
                let place = (session.transaction_id, 0, connector);
                charging.samples(id, place.0, place.1, place.2, samples).await.map_err(Handled::failed)?;
                transaction_id
            }
            // The first: it opens the order's transaction.
            None => {
                let seq_no = i32::try_from(status.total_time_s.saturating_mul(2)).unwrap_or(i32::MAX - 1);
                let event = self.event(id, &session, EventKind::Started, seq_no, status.at, connector, None);
                let (applied, _) = charging.event(event, samples).await.map_err(Handled::failed)?;
                applied.id
            }
        };
        if let Some(running) = &mut self.state(id).session {
            running.transaction_id = Some(transaction_id);
        }
        Ok("stored")
    }

    pub(super) async fn finished(&mut self, id: &ChargerId, end: Finished) -> Result<&'static str, Handled> {
        self.known(id).await?;
        self.online(id).await?;
        let order_no = OrderNo::parse(end.order_no.as_str()).map_err(|_| Handled::Refused("malformed"))?;
        // Any order of this pile's, ended or not: a `finished` after a stale close bills it again.
        let order = self.services.orders.numbered(&order_no).await.map_err(Handled::failed)?;
        let Some(order) = order.filter(|o| &o.charger_id == id) else {
            return Err(Handled::Refused("not_running"));
        };
        let session = Session::of(&order);
        let connector = end.connector_id.unwrap_or(order.connector_id);
        let began = end.at - chrono::Duration::seconds(end.total_time_s);
        let mut samples = vec![
            sample(began, ENERGY, "Wh", "Outlet", "Transaction.Begin", "0".into()),
            sample(end.at, ENERGY, "Wh", "Outlet", "Transaction.End", end.total_wh.to_string()),
        ];
        if let Some(soc) = end.start_soc {
            samples.push(sample(began, "SoC", "Percent", "EV", "Transaction.Begin", soc.to_string()));
        }
        if let Some(soc) = end.end_soc {
            samples.push(sample(end.at, "SoC", "Percent", "EV", "Transaction.End", soc.to_string()));
        }
        let reason = match end.reason {
            super::wire::FinishReason::User => "Remote",
            super::wire::FinishReason::Full => "SOCLimitReached",
            super::wire::FinishReason::Fault => "EmergencyStop",
        };
        let mut event = self.event(id, &session, EventKind::Ended, 0, end.at, connector, Some(reason));
        event.seq_no = i32::try_from(end.total_time_s.saturating_mul(2).saturating_add(1)).unwrap_or(i32::MAX);
        // The start event too, stamped when the session began (the pile's statuses may all
        // have been lost): an order still starting is linked by it.
        let mut start = self.event(id, &session, EventKind::Started, 0, began, connector, None);
        start.id_tag = Some(order.id_tag.clone());
        let charging = &self.services.charging;
        charging.event(start, Vec::new()).await.map_err(Handled::failed)?;
        charging.event(event, samples).await.map_err(Handled::failed)?;
        let state = self.state(id);
        if state.session.as_ref().is_some_and(|s| s.order_no == order_no) {
            state.session = None;
        }
        Ok("stored")
    }

    /// The running session `order_no` names on pile `id`: the order must be this pile's and
    /// starting or charging. Read once per session.
    async fn session_of(&mut self, id: &ChargerId, order_no: &str) -> Result<Option<Session>, Handled> {
        if let Some(running) = &self.state(id).session
            && running.order_no.as_str() == order_no
        {
            return Ok(Some(running.clone()));
        }
        let Ok(number) = OrderNo::parse(order_no) else { return Ok(None) };
        let order = self.services.orders.numbered(&number).await.map_err(Handled::failed)?;
        let running =
            order.filter(|o| &o.charger_id == id && matches!(o.status, OrderStatus::Starting | OrderStatus::Charging));
        let Some(order) = running else { return Ok(None) };
        // A charging order's transaction is known (this worker took the pile over).
        let session = Session::of(&order);
        self.state(id).session = Some(session.clone());
        Ok(Some(session))
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        id: &ChargerId,
        session: &Session,
        kind: EventKind,
        seq_no: i32,
        at: DateTime<Utc>,
        connector: i32,
        stop_reason: Option<&str>,
    ) -> EventRecord {
        EventRecord {
            charger_id: id.clone(),
            charger_transaction_id: session.order_no.to_string(),
            kind,
            seq_no,
            at,
            evse_id: Some(0),
            connector_id: Some(connector),
            id_tag: (kind == EventKind::Started).then(|| session.id_tag.clone()),
            stop_reason: stop_reason.map(str::to_owned),
            trigger_reason: match kind {
                EventKind::Started => "RemoteStart",
                EventKind::Updated => "MeterValuePeriodic",
                EventKind::Ended => "StopAuthorized",
            }
            .to_owned(),
            offline: false,
            remote_start_id: session.remote_start_id,
        }
    }
}

const ENERGY: &str = crate::domain::charging::ENERGY_REGISTER;

fn sample(at: DateTime<Utc>, measurand: &str, unit: &str, location: &str, context: &str, value: String) -> Sample {
    Sample {
        sampled_at: at,
        measurand: measurand.to_owned(),
        phase: None,
        context: context.to_owned(),
        location: location.to_owned(),
        unit: unit.to_owned(),
        value,
    }
}

/// A reading as text, to the tenth.
fn format_value(value: f64) -> String {
    format!("{:.1}", (value * 10.0).round() / 10.0)
}
