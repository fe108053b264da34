//! A pile's live status as dashboards and `GET /api/v1/chargers/{id}/live` show it: online, each
//! connector's status, and the newest voltage, current, power, temperature and state of charge —
//! voltage, current and power 0 once no connector charges.

use crate::domain::charging::live::draws_power;
use crate::domain::ids::ChargerId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A connector's newest status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorStatus {
    pub evse_id: i32,
    pub connector_id: i32,
    pub status: String,
    pub error_code: Option<String>,
    pub at: DateTime<Utc>,
}

/// A pile's live status (numbers in V, A, W, °C and %).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PileLive {
    pub charger_id: ChargerId,
    pub online: bool,
    pub voltage: Option<f64>,
    pub current: Option<f64>,
    pub power: Option<f64>,
    pub temperature: Option<f64>,
    pub soc: Option<f64>,
    pub updated_at: Option<DateTime<Utc>>,
    pub connectors: Vec<ConnectorStatus>,
}

impl PileLive {
    pub fn new(charger_id: impl Into<ChargerId>) -> Self {
        PileLive {
            charger_id: charger_id.into(),
            online: false,
            voltage: None,
            current: None,
            power: None,
            temperature: None,
            soc: None,
            updated_at: None,
            connectors: Vec::new(),
        }
    }

    /// Sets a connector's status (kept in connector order).
    pub fn set_status(&mut self, status: ConnectorStatus) {
        let key = (status.evse_id, status.connector_id);
        match self.connectors.binary_search_by_key(&key, |c| (c.evse_id, c.connector_id)) {
            Ok(i) => self.connectors[i] = status,
            Err(i) => self.connectors.insert(i, status),
        }
    }

    /// Connector `(evse, connector)` stopped charging `at` (a status that draws no power, or its
    /// transaction's end): unless another connector may still draw power, the pile's voltage,
    /// current and power read 0 (those ever read; nothing is made up). Whether they changed.
    /// Whatever its time: the pile's numbers carry none of their own, and one reading too many
    /// at 0 is righted by the next, where a stale 7 kW would stay until the pile charges again.
    pub fn idle(&mut self, evse_id: i32, connector_id: i32, at: DateTime<Utc>) -> bool {
        let place = (evse_id, connector_id);
        if self.connectors.iter().any(|c| (c.evse_id, c.connector_id) != place && draws_power(&c.status)) {
            return false;
        }
        let mut changed = false;
        for number in [&mut self.voltage, &mut self.current, &mut self.power].into_iter().flatten() {
            if *number != 0.0 {
                *number = 0.0;
                changed = true;
            }
        }
        if changed {
            self.updated_at = self.updated_at.max(Some(at));
        }
        changed
    }

    /// Whether a connector other than `(evse, connector)` is faulted.
    pub fn other_faulted(&self, evse_id: i32, connector_id: i32) -> bool {
        self.connectors.iter().any(|c| (c.evse_id, c.connector_id) != (evse_id, connector_id) && c.status == "Faulted")
    }
}

/// The numbers one MeterValues carried, read from its samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readings {
    /// Every voltage (one per phase, or the one without a phase).
    pub volts: Vec<f64>,
    pub current: Option<f64>,
    pub power: Option<f64>,
    /// The hottest temperature (°C).
    pub hottest: Option<f64>,
    pub soc: Option<f64>,
    pub at: Option<DateTime<Utc>>,
}

impl Readings {
    /// Reads the measurands that matter here from stored samples (units already normalised:
    /// W for power); a value that is not a number is skipped.
    pub fn read(samples: &[crate::domain::charging::transactions::Sample]) -> Self {
        let mut r = Readings::default();
        for s in samples {
            let Ok(value) = s.value.parse::<f64>() else { continue };
            if !value.is_finite() {
                continue;
            }
            r.at = Some(r.at.map_or(s.sampled_at, |at| at.max(s.sampled_at)));
            match s.measurand.as_str() {
                "Voltage" => r.volts.push(value),
                // The total over phases when given, else the first phase's.
                "Current.Import" if s.phase.is_none() || r.current.is_none() => r.current = Some(value),
                "Power.Active.Import" if s.phase.is_none() || r.power.is_none() => r.power = Some(value),
                "Temperature" => {
                    if let Some(c) = celsius(value, &s.unit) {
                        r.hottest = Some(r.hottest.map_or(c, |h| h.max(c)));
                    }
                }
                "SoC" => r.soc = Some(value),
                _ => {}
            }
        }
        r
    }

    /// Whether anything here is worth watching.
    pub fn is_empty(&self) -> bool {
        self.volts.is_empty()
            && self.current.is_none()
            && self.power.is_none()
            && self.hottest.is_none()
            && self.soc.is_none()
    }

    /// Moves `live` forward by these readings.
    pub fn apply(&self, live: &mut PileLive) {
        if let Some(v) = self.volts.first() {
            live.voltage = Some(*v);
        }
        live.current = self.current.or(live.current);
        live.power = self.power.or(live.power);
        live.temperature = self.hottest.or(live.temperature);
        live.soc = self.soc.or(live.soc);
        if self.at.is_some() {
            live.updated_at = self.at.max(live.updated_at);
        }
    }
}

/// A temperature reading in °C, from its unit (`Celsius` by default, `Fahrenheit`, `K`).
pub fn celsius(value: f64, unit: &str) -> Option<f64> {
    match unit {
        // No unit given reads as OCPP's default (stored as Wh): a temperature is then in °C.
        "Celsius" | "" | "Wh" => Some(value),
        "Fahrenheit" => Some((value - 32.0) * 5.0 / 9.0),
        "K" => Some(value - 273.15),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(connector_id: i32, status: &str) -> ConnectorStatus {
        ConnectorStatus { evse_id: 0, connector_id, status: status.into(), error_code: None, at: Utc::now() }
    }

    fn charging_pile() -> PileLive {
        let mut live = PileLive::new("CP");
        (live.voltage, live.current, live.power, live.temperature) =
            (Some(230.0), Some(32.0), Some(7360.0), Some(41.0));
        live
    }

    #[test]
    fn a_pile_whose_only_charging_connector_stops_reads_no_voltage_current_or_power() {
        let mut live = charging_pile();
        live.set_status(status(1, "Finishing"));
        let at = Utc::now();
        assert!(live.idle(0, 1, at));
        assert_eq!((live.voltage, live.current, live.power), (Some(0.0), Some(0.0), Some(0.0)));
        assert_eq!((live.temperature, live.updated_at), (Some(41.0), Some(at)), "the rest stays");
        assert!(!live.idle(0, 1, at), "nothing left to change");
        let mut unread = PileLive::new("CP");
        assert!(!unread.idle(0, 1, at));
        assert_eq!((unread.voltage, unread.power), (None, None), "nothing made up");
    }

    #[test]
    fn a_pile_with_another_connector_charging_keeps_its_numbers() {
        for other in ["Charging", "Occupied"] {
            let mut live = charging_pile();
            live.set_status(status(2, other));
            live.set_status(status(1, "Available"));
            assert!(!live.idle(0, 1, Utc::now()), "{other}");
            assert_eq!(live.power, Some(7360.0));
        }
        // The connector that stopped may still say Charging (a 1.6 stop comes before its status).
        let mut live = charging_pile();
        live.set_status(status(1, "Charging"));
        live.set_status(status(2, "Available"));
        assert!(live.idle(0, 1, Utc::now()));
        assert_eq!(live.power, Some(0.0));
    }

    #[test]
    fn temperatures_in_other_units_are_read_in_celsius() {
        assert_eq!(celsius(176.0, "Fahrenheit"), Some(80.0));
        assert_eq!(celsius(353.15, "K").map(|c| (c * 100.0).round() / 100.0), Some(80.0));
        assert_eq!(celsius(1.0, "kW"), None);
    }
}
