//! A charging session's physics, pure: energy is power integrated over the time that really
//! passed (kW × h), the battery's soc rises with energy / capacity, and the power tapers above
//! 80 % soc; the session ends full at soc 100 or at the start command's maxTime.

use super::payload::{ChargingFinished, ChargingStatus, StopReason, Timestamp, kwh3};
use std::time::Duration;
use tokio::time::Instant;

/// The longest step of the integration: the taper is followed closely enough.
const STEP: Duration = Duration::from_secs(1);

/// The battery a session charges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Battery {
    /// kWh.
    pub capacity_kwh: f64,
    /// % when the session starts.
    pub start_soc: f64,
}

impl Default for Battery {
    fn default() -> Self {
        Battery { capacity_kwh: 60.0, start_soc: 20.0 }
    }
}

/// A running session, as the pile's owner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionView {
    pub connector_id: u32,
    pub order_no: String,
    /// kWh delivered so far.
    pub energy_kwh: f64,
    /// %, 0–100.
    pub soc: f64,
    /// kW now.
    pub power_kw: f64,
    /// Since the start.
    pub elapsed: Duration,
}

/// One connector's session.
#[derive(Debug, Clone)]
pub(crate) struct Charge {
    pub(crate) connector_id: u32,
    pub(crate) order_no: String,
    started: Instant,
    /// Integrated up to here.
    at: Instant,
    /// kW: the lower of the rated power and the start's maxPower.
    limit_kw: f64,
    max_time: Option<Duration>,
    battery: Battery,
    energy_kwh: f64,
    soc: f64,
    /// Why it ended by itself (full, maxTime), once it has.
    ended: Option<StopReason>,
}

impl Charge {
    /// A session starting `now` at `limit_kw` at most, for `max_time` at most.
    pub(crate) fn start(
        connector_id: u32,
        order_no: String,
        limit_kw: f64,
        max_time: Option<Duration>,
        battery: Battery,
        now: Instant,
    ) -> Self {
        let soc = battery.start_soc.clamp(0.0, 100.0);
        Charge {
            connector_id,
            order_no,
            started: now,
            at: now,
            limit_kw: limit_kw.max(0.0),
            max_time: max_time.filter(|t| !t.is_zero()),
            battery,
            energy_kwh: 0.0,
            soc,
            ended: (soc >= 100.0).then_some(StopReason::Full),
        }
    }

    /// kW drawn at `soc`: the limit up to 80 %, then falling linearly to a tenth of it at 100 %.
    fn power_at(&self, soc: f64) -> f64 {
        if soc >= 100.0 {
            return 0.0;
        }
        let taper = if soc <= 80.0 { 1.0 } else { 1.0 - 0.9 * (soc - 80.0) / 20.0 };
        self.limit_kw * taper
    }

    /// kW now.
    pub(crate) fn power_kw(&self) -> f64 {
        if self.ended.is_some() { 0.0 } else { self.power_at(self.soc) }
    }

    /// When maxTime ends it, if it has one.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.max_time.map(|t| self.started + t)
    }

    /// Why it ended by itself, if it has.
    pub(crate) fn ended(&self) -> Option<StopReason> {
        self.ended
    }

    /// Integrates up to `now` (never past maxTime, nor past the battery full).
    pub(crate) fn advance(&mut self, now: Instant) {
        let until = self.deadline().map_or(now, |deadline| now.min(deadline));
        while self.ended.is_none() && self.at < until {
            let step = (until - self.at).min(STEP);
            let power = self.power_at(self.soc);
            let room_kwh = (100.0 - self.soc) / 100.0 * self.battery.capacity_kwh;
            let kwh = power * step.as_secs_f64() / 3600.0;
            if kwh >= room_kwh || power <= 0.0 {
                // Full within this step: the time it took to fill what was left.
                let took = if power > 0.0 { Duration::from_secs_f64(room_kwh / power * 3600.0) } else { step };
                self.energy_kwh += room_kwh.max(0.0);
                self.soc = 100.0;
                self.at += took.min(step);
                self.ended = Some(StopReason::Full);
                return;
            }
            self.energy_kwh += kwh;
            self.soc = (self.soc + kwh / self.battery.capacity_kwh * 100.0).min(100.0);
            self.at += step;
        }
        if self.ended.is_none() && self.deadline().is_some_and(|deadline| self.at >= deadline) {
            self.ended = Some(StopReason::User);
        }
    }

    /// What the owner sees.
    pub(crate) fn view(&self) -> SessionView {
        SessionView {
            connector_id: self.connector_id,
            order_no: self.order_no.clone(),
            energy_kwh: self.energy_kwh,
            soc: self.soc,
            power_kw: self.power_kw(),
            elapsed: self.at - self.started,
        }
    }

    fn soc_reported(soc: f64) -> u8 {
        // Whole percent, never rounded up to a full battery that is not.
        soc.floor().clamp(0.0, 100.0) as u8
    }

    /// Its `charging/status` as of where it is integrated to.
    pub(crate) fn status(&self, pile_code: &str) -> ChargingStatus {
        ChargingStatus {
            pile_code: pile_code.to_owned(),
            connector_id: self.connector_id,
            order_no: self.order_no.clone(),
            current_power: kwh3(self.power_kw()),
            total_power: kwh3(self.energy_kwh),
            total_time: (self.at - self.started).as_secs(),
            soc: Self::soc_reported(self.soc),
            timestamp: Timestamp::now(),
        }
    }

    /// Its `charging/finished`, ended for `reason`.
    pub(crate) fn finished(&self, pile_code: &str, reason: u8) -> ChargingFinished {
        ChargingFinished {
            pile_code: pile_code.to_owned(),
            connector_id: self.connector_id,
            order_no: self.order_no.clone(),
            total_power: kwh3(self.energy_kwh),
            total_time: (self.at - self.started).as_secs(),
            start_soc: Self::soc_reported(self.battery.start_soc),
            end_soc: Self::soc_reported(self.soc),
            stop_reason: reason,
            timestamp: Timestamp::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(limit_kw: f64, max_time: Option<Duration>, battery: Battery) -> (Charge, Instant) {
        let now = Instant::now();
        (Charge::start(1, "O1".into(), limit_kw, max_time, battery, now), now)
    }

    #[test]
    fn an_hour_at_seven_kilowatts_is_seven_kilowatt_hours() {
        let (mut c, t0) = charge(7.0, None, Battery::default());
        c.advance(t0 + Duration::from_secs(3600));
        assert!((c.view().energy_kwh - 7.0).abs() < 1e-9);
        assert!((c.view().soc - (20.0 + 7.0 / 60.0 * 100.0)).abs() < 1e-9);
        assert_eq!(c.status("P").total_time, 3600);
    }

    #[test]
    fn power_tapers_above_eighty_percent_and_the_session_ends_full() {
        let battery = Battery { capacity_kwh: 1.0, start_soc: 79.0 };
        let (mut c, t0) = charge(10.0, None, battery);
        c.advance(t0 + Duration::from_secs(60));
        assert!(c.view().soc > 80.0 && c.power_kw() < 10.0, "{:?}", c.view());
        c.advance(t0 + Duration::from_secs(3600));
        assert_eq!(c.ended(), Some(StopReason::Full));
        assert_eq!(c.status("P").soc, 100);
        assert!((c.view().energy_kwh - 0.21).abs() < 1e-9);
        assert!(c.view().elapsed < Duration::from_secs(3600));
    }

    #[test]
    fn max_time_ends_it_at_the_deadline() {
        let (mut c, t0) = charge(7.0, Some(Duration::from_secs(60)), Battery::default());
        c.advance(t0 + Duration::from_secs(600));
        assert_eq!(c.ended(), Some(StopReason::User));
        assert_eq!(c.view().elapsed, Duration::from_secs(60));
        assert!((c.view().energy_kwh - 7.0 / 60.0).abs() < 1e-9);
    }
}
