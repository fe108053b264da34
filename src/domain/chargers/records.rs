//! What chargers say and what the operator changes, version-neutral.

pub use super::reported::ReportedStatus;
use crate::domain::ids::ChargerId;
use chrono::{DateTime, Utc};

/// Whether a charger may connect: registered, pending (it may boot, nothing else), or disabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Registration {
    /// Known and enabled: BootNotification is Accepted.
    Registered,
    /// Created by auto-registration or awaiting the operator: BootNotification is Pending.
    Pending,
    /// Disabled by the operator: BootNotification is Rejected.
    Disabled,
}

impl Registration {
    /// As stored and shown.
    pub const fn as_str(self) -> &'static str {
        match self {
            Registration::Registered => "Registered",
            Registration::Pending => "Pending",
            Registration::Disabled => "Disabled",
        }
    }

    /// From its stored text; anything else is disabled (never let an unknown value in).
    pub fn parse(stored: &str) -> Self {
        match stored {
            "Registered" => Registration::Registered,
            "Pending" => Registration::Pending,
            _ => Registration::Disabled,
        }
    }
}

/// Compared with its stored text (as tests and logs read it).
impl PartialEq<&str> for Registration {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A charger as csms knows it: identity, what it said at boot, where it stands, its presence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charger {
    pub id: ChargerId,
    pub registration: Registration,
    /// An argon2 PHC string, or none for no Basic auth.
    pub password_hash: Option<String>,
    pub ocpp_version: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub charge_box_serial_number: Option<String>,
    pub firmware_version: Option<String>,
    pub iccid: Option<String>,
    pub imsi: Option<String>,
    pub meter_type: Option<String>,
    pub meter_serial_number: Option<String>,
    pub boot_reason: Option<String>,
    pub last_boot_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub station_code: Option<String>,
    pub name: Option<String>,
    pub pile_type: Option<String>,
    pub connector_type: Option<String>,
    pub max_power_w: Option<i64>,
    pub rated_voltage_v: Option<i32>,
    pub rated_current_a: Option<i32>,
    pub online_session: Option<String>,
    pub online_node: Option<String>,
    pub online_epoch: i64,
    /// How it talks to csms.
    pub protocol: super::protocol::PileProtocol,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A connector (of an EVSE; 1.6 has one EVSE per connector) and its last reported status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub status: ReportedStatus,
    pub error_code: Option<String>,
    pub info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    pub status_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A charger to create.
#[derive(Debug, Clone)]
pub struct NewCharger {
    pub id: ChargerId,
    pub registration: Registration,
    /// An argon2 PHC string, or none for no Basic auth.
    pub password_hash: Option<String>,
}

/// What a charger said at boot, version-neutral.
#[derive(Debug, Clone, Default)]
pub struct BootRecord {
    pub ocpp_version: String,
    pub vendor: String,
    pub model: String,
    pub serial_number: Option<String>,
    pub charge_box_serial_number: Option<String>,
    pub firmware_version: Option<String>,
    pub iccid: Option<String>,
    pub imsi: Option<String>,
    pub meter_type: Option<String>,
    pub meter_serial_number: Option<String>,
    pub reason: Option<String>,
}

/// A connector status report, version-neutral.
#[derive(Debug, Clone)]
pub struct StatusRecord {
    pub evse_id: i32,
    pub connector_id: i32,
    pub status: ReportedStatus,
    pub error_code: Option<String>,
    pub info: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_error_code: Option<String>,
    pub at: DateTime<Utc>,
}

/// What the operator changes of a charger; `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct ChargerChange {
    pub registration: Option<Registration>,
    /// `Some(None)` removes the password (the charger connects without Basic auth).
    pub password_hash: Option<Option<String>>,
}

/// One command and what came of it.
#[derive(Debug, Clone)]
pub struct OperationRecord {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The charger commanded; none for an operation on no charger (a balance adjustment).
    pub charger_id: Option<ChargerId>,
    pub action: String,
    pub payload: serde_json::Value,
    pub outcome: &'static str,
    pub response: Option<serde_json::Value>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// The node a command was sent from (none for what is not a command to a charger).
    pub node: Option<String>,
}

/// Which operations to list: each given filter narrows the list (`actor`, `charger_id` and
/// `action` exactly; `from` inclusive, `to` exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationFilter {
    pub actor: Option<String>,
    pub charger_id: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// An operation as the log keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// None for an operation on no charger.
    pub charger_id: Option<String>,
    pub action: String,
    pub payload: serde_json::Value,
    pub outcome: String,
    pub response: Option<serde_json::Value>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub node: Option<String>,
}

/// A charger's connection as presence records it: the connection's token, the node holding it,
/// its epoch (larger for every newer connection, cluster-wide) and the OCPP version it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub token: String,
    pub node: String,
    pub epoch: i64,
    pub version: String,
}
