//! The live state of chargers' connectors: the newest sampled value of each measurand (per
//! phase and location) and the transaction in progress. Kept in memory, like liveness — the
//! samples themselves are stored — and only ever moved forward in time, so a late or offline
//! message replayed after newer ones leaves the newer readings in place. A connector that stops
//! charging (a status that draws no power, or its transaction's end) reads 0 W, 0 A and 0 V
//! from then on, until a newer reading says otherwise.

use super::transactions::Sample;
use crate::domain::ids::ChargerId;
use chrono::{DateTime, Utc};
use dashmap::DashMap;
use dashmap::mapref::one::RefMut;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The live state of every charger that reported since the start.
#[derive(Debug, Clone, Default)]
pub struct LiveState {
    chargers: Arc<DashMap<ChargerId, BTreeMap<Place, ConnectorLive>>>,
}

/// Where a reading was taken: (EVSE, connector); 1.6 connectors are on EVSE 0, and 0/0 is the
/// charger's main meter.
type Place = (i32, i32);

/// What a reading is of: (measurand, phase, location).
type Quantity = (String, Option<String>, String);

/// One connector's live state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ConnectorLive {
    /// Our id of the transaction in progress on it.
    transaction_id: Option<i64>,
    /// The time of its newest reading.
    updated_at: Option<DateTime<Utc>>,
    readings: BTreeMap<Quantity, Reading>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Reading {
    value: String,
    unit: String,
    at: DateTime<Utc>,
}

/// The measurands of what flows through a connector: read as 0 once it stops charging (the
/// energy register, temperatures, the state of charge and the limits offered keep their value).
const FLOWING: [&str; 7] = [
    "Current.Export",
    "Current.Import",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "Voltage",
];

/// Whether a connector in `status` may draw power: 1.6 `Charging`, 2.0.1 `Occupied` (a car
/// plugged in, charging or not: its transaction's end says when it stopped). Every other status
/// — Available, Preparing, SuspendedEV, SuspendedEVSE, Finishing, Reserved, Unavailable,
/// Faulted — has nothing flowing.
pub fn draws_power(status: &str) -> bool {
    matches!(status, "Charging" | "Occupied")
}

/// A connector's live state, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorLiveView {
    pub evse_id: i32,
    pub connector_id: i32,
    pub transaction_id: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
    pub values: Vec<LiveValue>,
}

/// The newest reading of one quantity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveValue {
    pub measurand: String,
    pub phase: Option<String>,
    pub location: String,
    pub unit: String,
    /// Exact decimal text, in base units (Wh, W, …).
    pub value: String,
    pub sampled_at: DateTime<Utc>,
}

impl LiveState {
    /// Takes in stored samples (moved in, not copied again): each replaces the reading of its
    /// quantity unless that one is newer.
    pub fn sampled(&self, charger_id: &ChargerId, place: Place, samples: Vec<Sample>) {
        if samples.is_empty() {
            return;
        }
        let mut charger = self.charger(charger_id);
        let connector = charger.entry(place).or_default();
        for s in samples {
            if connector.updated_at.is_none_or(|at| at < s.sampled_at) {
                connector.updated_at = Some(s.sampled_at);
            }
            let quantity = (s.measurand, s.phase, s.location);
            if connector.readings.get(&quantity).is_some_and(|held| held.at > s.sampled_at) {
                continue;
            }
            connector.readings.insert(quantity, Reading { value: s.value, unit: s.unit, at: s.sampled_at });
        }
    }

    /// The charger's entry, made on its first report (the id is copied only then).
    fn charger(&self, charger_id: &ChargerId) -> RefMut<'_, ChargerId, BTreeMap<Place, ConnectorLive>> {
        match self.chargers.get_mut(charger_id) {
            Some(entry) => entry,
            None => self.chargers.entry(charger_id.clone()).or_default(),
        }
    }

    /// A transaction is in progress on the connector.
    pub fn started(&self, charger_id: &ChargerId, place: Place, transaction_id: i64) {
        let mut charger = self.charger(charger_id);
        // A connector has one transaction at a time: a start elsewhere moves it.
        for (at, connector) in charger.iter_mut() {
            if *at != place && connector.transaction_id == Some(transaction_id) {
                connector.transaction_id = None;
            }
        }
        charger.entry(place).or_default().transaction_id = Some(transaction_id);
    }

    /// The transaction ended (wherever it was).
    pub fn ended(&self, charger_id: &str, transaction_id: i64) {
        if let Some(mut charger) = self.chargers.get_mut(charger_id) {
            for connector in charger.values_mut() {
                if connector.transaction_id == Some(transaction_id) {
                    connector.transaction_id = None;
                }
            }
        }
    }

    /// The connector stopped charging `at`: its power, current and voltage read 0 from then on
    /// (each reading newer than `at` stays). Nothing is made up for a connector without readings.
    pub fn idle(&self, charger_id: &str, place: Place, at: DateTime<Utc>) {
        let Some(mut charger) = self.chargers.get_mut(charger_id) else { return };
        let Some(connector) = charger.get_mut(&place) else { return };
        let mut zeroed = false;
        for ((measurand, _, _), reading) in &mut connector.readings {
            if FLOWING.contains(&measurand.as_str()) && reading.at <= at {
                *reading = Reading { value: "0".to_owned(), unit: std::mem::take(&mut reading.unit), at };
                zeroed = true;
            }
        }
        if zeroed && connector.updated_at.is_none_or(|newest| newest < at) {
            connector.updated_at = Some(at);
        }
    }

    /// Every connector of the charger with a live state, in (EVSE, connector) order (looked up
    /// by its text: nothing is kept of it).
    pub fn of(&self, charger_id: &str) -> Vec<ConnectorLiveView> {
        let Some(charger) = self.chargers.get(charger_id) else {
            return Vec::new();
        };
        charger
            .iter()
            .map(|(&(evse_id, connector_id), live)| ConnectorLiveView {
                evse_id,
                connector_id,
                transaction_id: live.transaction_id,
                updated_at: live.updated_at,
                values: live
                    .readings
                    .iter()
                    .map(|((measurand, phase, location), r)| LiveValue {
                        measurand: measurand.clone(),
                        phase: phase.clone(),
                        location: location.clone(),
                        unit: r.unit.clone(),
                        value: r.value.clone(),
                        sampled_at: r.at,
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn cp() -> ChargerId {
        ChargerId::parse("CP").unwrap_or_else(|e| panic!("{e}"))
    }

    fn sample(measurand: &str, value: &str, at: DateTime<Utc>) -> Sample {
        Sample {
            sampled_at: at,
            measurand: measurand.into(),
            phase: None,
            context: "Sample.Periodic".into(),
            location: "Outlet".into(),
            unit: "W".into(),
            value: value.into(),
        }
    }

    #[test]
    fn a_late_reading_does_not_replace_a_newer_one() {
        let live = LiveState::default();
        let now = Utc::now();
        live.sampled(&cp(), (0, 1), vec![sample("Power.Active.Import", "7000", now)]);
        live.sampled(
            &cp(),
            (0, 1),
            vec![
                sample("Power.Active.Import", "3000", now - Duration::minutes(5)),
                sample("SoC", "42", now - Duration::minutes(5)),
            ],
        );
        let view = &live.of("CP")[0];
        let values: Vec<_> = view.values.iter().map(|v| (v.measurand.as_str(), v.value.as_str())).collect();
        assert_eq!(values, [("Power.Active.Import", "7000"), ("SoC", "42")]);
        assert_eq!(view.updated_at, Some(now));
    }

    #[test]
    fn a_connector_that_stops_charging_reads_zero_power_current_and_voltage_until_a_newer_reading() {
        let live = LiveState::default();
        let now = Utc::now();
        let before = now - Duration::minutes(1);
        let read =
            |measurand: &str, value: &str, unit: &str| Sample { unit: unit.into(), ..sample(measurand, value, before) };
        let flowing = vec![
            read("Power.Active.Import", "7000", "W"),
            read("Current.Import", "32", "A"),
            read("Voltage", "230", "V"),
            read("Energy.Active.Import.Register", "15000", "Wh"),
            read("SoC", "80", "Percent"),
        ];
        live.sampled(&cp(), (0, 1), flowing);
        live.sampled(&cp(), (0, 2), vec![sample("Power.Active.Import", "3000", before)]);
        live.idle("CP", (0, 1), now);
        let values = |connector: usize| -> Vec<(String, String, String)> {
            let all = live.of("CP");
            all[connector].values.iter().map(|v| (v.measurand.clone(), v.value.clone(), v.unit.clone())).collect()
        };
        let text = |m: &str, v: &str, u: &str| (m.to_owned(), v.to_owned(), u.to_owned());
        assert_eq!(
            values(0),
            [
                text("Current.Import", "0", "A"),
                text("Energy.Active.Import.Register", "15000", "Wh"),
                text("Power.Active.Import", "0", "W"),
                text("SoC", "80", "Percent"),
                text("Voltage", "0", "V"),
            ]
        );
        assert_eq!(live.of("CP")[0].updated_at, Some(now));
        assert_eq!(values(1), [text("Power.Active.Import", "3000", "W")], "the other connector still charges");
        // A late reading from before the stop stays behind; a newer one moves it on.
        live.sampled(&cp(), (0, 1), vec![sample("Power.Active.Import", "6900", now - Duration::seconds(5))]);
        assert_eq!(values(0)[2], text("Power.Active.Import", "0", "W"));
        live.sampled(&cp(), (0, 1), vec![sample("Power.Active.Import", "4000", now + Duration::seconds(5))]);
        assert_eq!(values(0)[2], text("Power.Active.Import", "4000", "W"));
        // A stop older than the newest reading leaves it; a connector never read has nothing to zero.
        live.idle("CP", (0, 1), now);
        assert_eq!(values(0)[2], text("Power.Active.Import", "4000", "W"));
        live.idle("CP", (0, 3), now);
        live.idle("OTHER", (0, 1), now);
        assert_eq!(live.of("CP").len(), 2);
        assert!(live.of("OTHER").is_empty());
    }

    #[test]
    fn only_charging_and_occupied_draw_power() {
        for status in ["Charging", "Occupied"] {
            assert!(draws_power(status), "{status}");
        }
        let idle = ["Available", "Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved", "Unavailable"];
        for status in idle.into_iter().chain(["Faulted"]) {
            assert!(!draws_power(status), "{status}");
        }
    }

    #[test]
    fn a_transaction_is_live_on_its_connector_until_it_ends() {
        let live = LiveState::default();
        live.started(&cp(), (0, 1), 7);
        live.started(&cp(), (0, 2), 8);
        assert_eq!(live.of("CP").iter().map(|c| c.transaction_id).collect::<Vec<_>>(), [Some(7), Some(8)]);
        live.ended("CP", 7);
        live.ended("CP", 99);
        assert_eq!(live.of("CP").iter().map(|c| c.transaction_id).collect::<Vec<_>>(), [None, Some(8)]);
        assert!(live.of("OTHER").is_empty());
    }
}
