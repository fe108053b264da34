//! A pile's live status as dashboards and `GET /api/v1/chargers/{id}/live` show it: online, each
//! connector's status, and the newest voltage, current, power, temperature and state of charge.

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
    pub charger_id: String,
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
    pub fn new(charger_id: &str) -> Self {
        PileLive {
            charger_id: charger_id.to_owned(),
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
                    if let Some(c) = super::rules::celsius(value, &s.unit) {
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
