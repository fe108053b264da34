//! `chargers`: one row per charger, its registration state and what it said at boot.

use sea_orm::entity::prelude::*;

/// A charger.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chargers")]
pub struct Model {
    /// The charger's identity (the last path segment of its WebSocket URL).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `Registered`, `Pending` or `Disabled` (the domain's `Registration`).
    pub registration: String,
    /// argon2 PHC string of its HTTP Basic password (security profile 1); none: no password.
    pub password_hash: Option<String>,
    /// The OCPP version of its last connection (`1.6`, `2.0.1`).
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
    /// 2.0.1's boot reason (`PowerUp`, `FirmwareUpdate`…).
    pub boot_reason: Option<String>,
    pub last_boot_at: Option<DateTimeUtc>,
    /// Flushed from memory every few seconds, not on every frame.
    pub last_seen_at: Option<DateTimeUtc>,
    /// The station the pile stands in (a charger is a pile).
    pub station_code: Option<String>,
    pub name: Option<String>,
    /// `AC` or `DC`.
    pub pile_type: Option<String>,
    pub connector_type: Option<String>,
    pub max_power_w: Option<i64>,
    pub rated_voltage_v: Option<i32>,
    pub rated_current_a: Option<i32>,
    /// The connection the charger is on; none when it is not connected.
    pub online_session: Option<String>,
    /// The csms node holding that connection (none: not connected, or a node before clustering).
    pub online_node: Option<String>,
    /// The epoch of the newest connection: larger for every newer connection, cluster-wide, so a
    /// stale owner never overwrites a newer one.
    pub online_epoch: i64,
    /// How the pile talks to csms: `ocpp` (WebSocket) or `mqtt` (through the broker).
    pub protocol: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No relations are declared: queries join connectors explicitly (the foreign key, with its
/// cascade, is the migration's).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
