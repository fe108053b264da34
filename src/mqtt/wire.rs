//! The MQTT pile protocol on the wire: topics, the piles' messages and csms's commands, with
//! their units and ranges. Parsing is pure: a message is read once into a checked value, or
//! refused with the reason counted in `csms_mqtt_messages_total`.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// What a pile's topic says it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `pile/{pileCode}/heartbeat`
    Heartbeat,
    /// `pile/{pileCode}/charging/status`
    Status,
    /// `pile/{pileCode}/charging/finished`
    Finished,
}

impl Family {
    /// The metric's label.
    pub const fn label(self) -> &'static str {
        match self {
            Family::Heartbeat => "heartbeat",
            Family::Status => "status",
            Family::Finished => "finished",
        }
    }
}

/// The topics csms consumes (QoS 1).
pub const SUBSCRIPTIONS: [&str; 3] = ["pile/+/heartbeat", "pile/+/charging/status", "pile/+/charging/finished"];

/// The pile's code and the family of a topic csms consumes; none for any other topic.
pub fn parse_topic(topic: &str) -> Option<(&str, Family)> {
    let rest = topic.strip_prefix("pile/")?;
    let (code, family) = rest.split_once('/')?;
    let family = match family {
        "heartbeat" => Family::Heartbeat,
        "charging/status" => Family::Status,
        "charging/finished" => Family::Finished,
        _ => return None,
    };
    (!code.is_empty()).then_some((code, family))
}

/// Where csms sends a pile its commands.
pub fn command_topic(pile_code: &str) -> String {
    format!("pile/{pile_code}/command")
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("the payload's pileCode {payload:?} is not the topic's {topic:?}")]
    CodeMismatch { topic: String, payload: String },
    #[error("{field} = {value} is out of range ({range})")]
    OutOfRange { field: &'static str, value: String, range: &'static str },
}

impl WireError {
    /// The metric's outcome.
    pub const fn outcome(&self) -> &'static str {
        match self {
            WireError::Malformed(_) => "malformed",
            WireError::CodeMismatch { .. } => "code_mismatch",
            WireError::OutOfRange { .. } => "out_of_range",
        }
    }
}

/// A time as piles send it: RFC 3339, or milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Text(String),
            Millis(i64),
        }
        match Given::deserialize(deserializer)? {
            Given::Text(text) => DateTime::parse_from_rfc3339(&text)
                .map(|t| Stamp(t.with_timezone(&Utc)))
                .map_err(|e| serde::de::Error::custom(format!("timestamp {text:?}: {e}"))),
            Given::Millis(ms) => Utc
                .timestamp_millis_opt(ms)
                .single()
                .map(Stamp)
                .ok_or_else(|| serde::de::Error::custom(format!("timestamp {ms} ms is no time"))),
        }
    }
}

/// The status a heartbeat reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PileState {
    Idle,
    Charging,
    Fault,
    /// The pile says it goes offline (or the broker publishes its last will saying so).
    Offline,
}

/// `pile/{pileCode}/heartbeat`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    pub connector_id: i32,
    pub state: PileState,
    pub voltage_v: Option<f64>,
    pub current_a: Option<f64>,
    pub power_kw: Option<f64>,
    pub temperature_c: Option<f64>,
    /// None: a last will, which has no time of its own.
    pub at: Option<DateTime<Utc>>,
}

/// `pile/{pileCode}/charging/status`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargingStatus {
    pub connector_id: Option<i32>,
    pub order_no: String,
    pub current_power_kw: f64,
    /// The energy register of the session, in Wh (sent as kWh).
    pub total_wh: i64,
    pub total_time_s: i64,
    pub soc: Option<i32>,
    pub at: DateTime<Utc>,
}

/// How a session ended, as the pile says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// 1: a stop command (the driver, or csms).
    User,
    /// 2: the battery is full.
    Full,
    /// 3: a fault.
    Fault,
}

/// `pile/{pileCode}/charging/finished`, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub connector_id: Option<i32>,
    pub order_no: String,
    pub total_wh: i64,
    pub total_time_s: i64,
    pub start_soc: Option<i32>,
    pub end_soc: Option<i32>,
    pub reason: FinishReason,
    pub at: DateTime<Utc>,
}

/// A pile's message, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum PileMessage {
    Heartbeat(Heartbeat),
    Status(ChargingStatus),
    Finished(Finished),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHeartbeat {
    pile_code: String,
    connector_id: Option<i64>,
    status: i64,
    voltage: Option<f64>,
    current: Option<f64>,
    power: Option<f64>,
    temperature: Option<f64>,
    timestamp: Option<Stamp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatus {
    pile_code: String,
    connector_id: Option<i64>,
    order_no: String,
    current_power: f64,
    total_power: f64,
    total_time: i64,
    soc: Option<f64>,
    timestamp: Stamp,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFinished {
    pile_code: String,
    connector_id: Option<i64>,
    order_no: String,
    total_power: f64,
    total_time: i64,
    start_soc: Option<f64>,
    end_soc: Option<f64>,
    stop_reason: i64,
    timestamp: Stamp,
}

/// The most a connector number, a session's energy and its length may be: beyond them a value
/// is a glitch, not a reading.
const MAX_CONNECTOR: i64 = 64;
const MAX_KWH: f64 = 10_000.0;
const MAX_SECONDS: i64 = 7 * 24 * 3600;
const MAX_KW: f64 = 2_000.0;

/// Reads a message of `family` published on pile `code`'s topic.
pub fn parse(code: &str, family: Family, payload: &[u8]) -> Result<PileMessage, WireError> {
    let malformed = |e: serde_json::Error| WireError::Malformed(e.to_string());
    let same_pile = |given: String| {
        if given == code { Ok(()) } else { Err(WireError::CodeMismatch { topic: code.to_owned(), payload: given }) }
    };
    match family {
        Family::Heartbeat => {
            let raw: RawHeartbeat = serde_json::from_slice(payload).map_err(malformed)?;
            same_pile(raw.pile_code)?;
            let state = match raw.status {
                1 => PileState::Idle,
                2 => PileState::Charging,
                3 => PileState::Fault,
                4 => PileState::Offline,
                other => return Err(out_of_range("status", other, "1 idle, 2 charging, 3 fault, 4 offline")),
            };
            Ok(PileMessage::Heartbeat(Heartbeat {
                connector_id: connector(raw.connector_id)?.unwrap_or(1),
                state,
                voltage_v: within("voltage", raw.voltage, 0.0, 2_000.0)?,
                current_a: within("current", raw.current, 0.0, 2_000.0)?,
                power_kw: within("power", raw.power, 0.0, MAX_KW)?,
                temperature_c: within("temperature", raw.temperature, -60.0, 200.0)?,
                at: raw.timestamp.map(|s| s.0),
            }))
        }
        Family::Status => {
            let raw: RawStatus = serde_json::from_slice(payload).map_err(malformed)?;
            same_pile(raw.pile_code)?;
            Ok(PileMessage::Status(ChargingStatus {
                connector_id: connector(raw.connector_id)?,
                order_no: order_no(raw.order_no)?,
                current_power_kw: within("currentPower", Some(raw.current_power), 0.0, MAX_KW)?.unwrap_or(0.0),
                total_wh: watt_hours("totalPower", raw.total_power)?,
                total_time_s: seconds(raw.total_time)?,
                soc: soc("soc", raw.soc)?,
                at: raw.timestamp.0,
            }))
        }
        Family::Finished => {
            let raw: RawFinished = serde_json::from_slice(payload).map_err(malformed)?;
            same_pile(raw.pile_code)?;
            let reason = match raw.stop_reason {
                1 => FinishReason::User,
                2 => FinishReason::Full,
                3 => FinishReason::Fault,
                other => return Err(out_of_range("stopReason", other, "1 user, 2 full, 3 fault")),
            };
            Ok(PileMessage::Finished(Finished {
                connector_id: connector(raw.connector_id)?,
                order_no: order_no(raw.order_no)?,
                total_wh: watt_hours("totalPower", raw.total_power)?,
                total_time_s: seconds(raw.total_time)?,
                start_soc: soc("startSoc", raw.start_soc)?,
                end_soc: soc("endSoc", raw.end_soc)?,
                reason,
                at: raw.timestamp.0,
            }))
        }
    }
}

fn out_of_range(field: &'static str, value: impl ToString, range: &'static str) -> WireError {
    WireError::OutOfRange { field, value: value.to_string(), range }
}

fn connector(given: Option<i64>) -> Result<Option<i32>, WireError> {
    given
        .map(|c| match i32::try_from(c) {
            Ok(c) if (1..=MAX_CONNECTOR).contains(&i64::from(c)) => Ok(c),
            _ => Err(out_of_range("connectorId", c, "1 to 64")),
        })
        .transpose()
}

fn order_no(given: String) -> Result<String, WireError> {
    let fine = !given.is_empty() && given.len() <= 64 && given.bytes().all(|b| b.is_ascii_graphic());
    if fine { Ok(given) } else { Err(WireError::Malformed(format!("orderNo {given:?}"))) }
}

fn within(field: &'static str, given: Option<f64>, min: f64, max: f64) -> Result<Option<f64>, WireError> {
    match given {
        Some(v) if !(v.is_finite() && (min..=max).contains(&v)) => Err(WireError::OutOfRange {
            field,
            value: v.to_string(),
            range: "a physical value (see README, MQTT piles)",
        }),
        other => Ok(other),
    }
}

/// kWh as whole Wh.
fn watt_hours(field: &'static str, kwh: f64) -> Result<i64, WireError> {
    let kwh = within(field, Some(kwh), 0.0, MAX_KWH)?.unwrap_or(0.0);
    // At most 1e7 here: the cast cannot overflow.
    Ok((kwh * 1000.0).round() as i64)
}

fn seconds(given: i64) -> Result<i64, WireError> {
    if (0..=MAX_SECONDS).contains(&given) { Ok(given) } else { Err(out_of_range("totalTime", given, "0 to 604800")) }
}

fn soc(field: &'static str, given: Option<f64>) -> Result<Option<i32>, WireError> {
    // 0 to 100 here: the cast cannot overflow.
    Ok(within(field, given, 0.0, 100.0)?.map(|v| v.round() as i32))
}

/// A command to a pile (`pile/{pileCode}/command`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum Command {
    /// Begin the order's session on the connector.
    #[serde(rename_all = "camelCase")]
    Start {
        pile_code: String,
        connector_id: i32,
        order_no: String,
        /// kW: the station's limit, else the pile's rated power.
        max_power: f64,
        /// Seconds; 0: none.
        max_time: i64,
        timestamp: DateTime<Utc>,
    },
    /// End the order's session.
    #[serde(rename_all = "camelCase")]
    Stop { pile_code: String, order_no: String, stop_reason: i32, timestamp: DateTime<Utc> },
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
