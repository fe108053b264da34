//! The MQTT piles' JSON messages and topics (the contract with csms's src/mqtt/): what a pile
//! publishes (heartbeat, charging status, charging finished, its last will) and the commands it
//! receives. Public so csms's tests can build exact messages, the odd ones included.

use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// `pile/{pileCode}/heartbeat`
pub fn heartbeat_topic(pile_code: &str) -> String {
    format!("pile/{pile_code}/heartbeat")
}

/// `pile/{pileCode}/charging/status`
pub fn status_topic(pile_code: &str) -> String {
    format!("pile/{pile_code}/charging/status")
}

/// `pile/{pileCode}/charging/finished`
pub fn finished_topic(pile_code: &str) -> String {
    format!("pile/{pile_code}/charging/finished")
}

/// `pile/{pileCode}/command`: what csms sends the pile.
pub fn command_topic(pile_code: &str) -> String {
    format!("pile/{pile_code}/command")
}

/// A pile's or connector's state in a heartbeat (`status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PileStatus {
    Idle = 1,
    Charging = 2,
    Fault = 3,
    Offline = 4,
}

impl From<PileStatus> for u8 {
    fn from(status: PileStatus) -> u8 {
        status as u8
    }
}

/// Why a session ended (`stopReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StopReason {
    /// A stop command (or the start's `maxTime` reached).
    User = 1,
    /// The battery is full (soc 100).
    Full = 2,
    Fault = 3,
}

impl From<StopReason> for u8 {
    fn from(reason: StopReason) -> u8 {
        reason as u8
    }
}

/// A message's time: an RFC 3339 UTC string (what the simulator sends) or epoch milliseconds
/// (which csms also accepts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Timestamp {
    EpochMs(i64),
    Text(String),
}

impl Timestamp {
    /// Now, as RFC 3339 UTC with milliseconds (`2026-12-07T17:40:00.123Z`).
    pub fn now() -> Self {
        Timestamp::Text(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    /// Now, in epoch milliseconds.
    pub fn now_ms() -> Self {
        Timestamp::EpochMs(Utc::now().timestamp_millis())
    }
}

fn connector_one() -> u32 {
    1
}

/// `pile/{pileCode}/heartbeat`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    pub pile_code: String,
    #[serde(default = "connector_one")]
    pub connector_id: u32,
    /// 1 idle, 2 charging, 3 fault, 4 offline ([`PileStatus`]).
    pub status: u8,
    /// V
    pub voltage: f64,
    /// A
    pub current: f64,
    /// kW
    pub power: f64,
    /// °C
    pub temperature: f64,
    pub timestamp: Timestamp,
}

/// `pile/{pileCode}/charging/status`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargingStatus {
    pub pile_code: String,
    #[serde(default = "connector_one")]
    pub connector_id: u32,
    pub order_no: String,
    /// kW now.
    pub current_power: f64,
    /// kWh delivered since the start: a register, never decreasing (3 decimals).
    pub total_power: f64,
    /// Seconds since the start.
    pub total_time: u64,
    /// %, 0–100.
    pub soc: u8,
    pub timestamp: Timestamp,
}

/// `pile/{pileCode}/charging/finished`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargingFinished {
    pub pile_code: String,
    #[serde(default = "connector_one")]
    pub connector_id: u32,
    pub order_no: String,
    /// kWh delivered in the session (3 decimals).
    pub total_power: f64,
    /// Seconds the session lasted.
    pub total_time: u64,
    pub start_soc: u8,
    pub end_soc: u8,
    /// 1 user, 2 full, 3 fault ([`StopReason`]).
    pub stop_reason: u8,
    pub timestamp: Timestamp,
}

/// The last will a pile leaves with the broker, published on its heartbeat topic when its
/// connection dies: `{"pileCode":"…","status":4}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Will {
    pub pile_code: String,
    pub status: u8,
}

impl Will {
    /// The will of `pile_code`: offline.
    pub fn offline(pile_code: &str) -> Self {
        Will { pile_code: pile_code.to_owned(), status: PileStatus::Offline.into() }
    }
}

/// A command from csms on `pile/{pileCode}/command`, by its `command` member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum Command {
    Start(StartCommand),
    Stop(StopCommand),
}

/// `{"command":"start",…}`: charge on a connector for an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartCommand {
    pub pile_code: String,
    #[serde(default = "connector_one")]
    pub connector_id: u32,
    pub order_no: String,
    /// kW at most (the pile charges at the lower of this and its rated power); absent or 0:
    /// the rated power.
    #[serde(default)]
    pub max_power: Option<f64>,
    /// Seconds at most (0 or absent: no limit); the pile stops by itself then (stopReason 1).
    #[serde(default)]
    pub max_time: Option<u64>,
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
}

/// `{"command":"stop",…}`: end the session of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopCommand {
    pub pile_code: String,
    pub order_no: String,
    /// The stopReason the finished message carries (1 when absent).
    #[serde(default)]
    pub stop_reason: Option<u8>,
    #[serde(default)]
    pub timestamp: Option<Timestamp>,
}

/// A command as received: its topic, its raw text, and what it parsed to.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedCommand {
    pub topic: String,
    /// The payload as received (invalid UTF-8 replaced).
    pub raw: String,
    /// The command, or why it is not one.
    pub parsed: Result<Command, String>,
}

impl ReceivedCommand {
    /// Parses a payload received on `topic`.
    pub fn parse(topic: &str, payload: &[u8]) -> Self {
        ReceivedCommand {
            topic: topic.to_owned(),
            raw: String::from_utf8_lossy(payload).into_owned(),
            parsed: serde_json::from_slice(payload).map_err(|e| e.to_string()),
        }
    }

    /// The raw payload as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.raw).ok()
    }
}

/// `kwh` rounded to 3 decimals (Wh), as a register is reported.
pub fn kwh3(kwh: f64) -> f64 {
    (kwh * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_command_parses_with_its_defaults() {
        let text =
            r#"{"command":"start","pileCode":"P1","orderNo":"O1","maxPower":3.5,"timestamp":"2026-12-07T10:00:00Z"}"#;
        let Ok(Command::Start(start)) = serde_json::from_str::<Command>(text) else { panic!("not a start: {text}") };
        assert_eq!(start.connector_id, 1);
        assert_eq!(start.max_power, Some(3.5));
        assert_eq!(start.max_time, None);
        assert_eq!(start.timestamp, Some(Timestamp::Text("2026-12-07T10:00:00Z".into())));
    }

    #[test]
    fn a_stop_command_parses_and_an_epoch_timestamp_too() {
        let text = r#"{"command":"stop","pileCode":"P1","orderNo":"O1","stopReason":1,"timestamp":1765100000000}"#;
        let Ok(Command::Stop(stop)) = serde_json::from_str::<Command>(text) else { panic!("not a stop: {text}") };
        assert_eq!(stop.stop_reason, Some(1));
        assert_eq!(stop.timestamp, Some(Timestamp::EpochMs(1_765_100_000_000)));
    }

    #[test]
    fn the_will_and_a_status_have_the_contract_names() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Will::offline("P1"))?, r#"{"pileCode":"P1","status":4}"#);
        let status = ChargingStatus {
            pile_code: "P1".into(),
            connector_id: 1,
            order_no: "O1".into(),
            current_power: 7.0,
            total_power: kwh3(0.0),
            total_time: 0,
            soc: 20,
            timestamp: Timestamp::Text("2026-12-07T10:00:00.000Z".into()),
        };
        assert_eq!(
            serde_json::to_string(&status)?,
            r#"{"pileCode":"P1","connectorId":1,"orderNo":"O1","currentPower":7.0,"totalPower":0.0,"totalTime":0,"soc":20,"timestamp":"2026-12-07T10:00:00.000Z"}"#
        );
        Ok(())
    }
}
