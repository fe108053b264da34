//! What orders ask of chargers, whatever their OCPP version: the hub carries it out.

use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::orders::limit::SessionLimits;
use futures_util::future::BoxFuture;

/// A remote start: 1.6 RemoteStartTransaction on `connector_id`, 2.0.1 RequestStartTransaction
/// on `evse_id` with `remote_start_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStart {
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub remote_start_id: i32,
    /// The order it starts (an MQTT pile knows sessions by it).
    pub order_no: OrderNo,
    /// The session's most power and time: an OCPP pile that does smart charging gets them as a
    /// TxProfile, an MQTT pile as `maxPower` and `maxTime`.
    pub limits: SessionLimits,
    /// Who asks (`order:<no>`), for the operation log.
    pub actor: String,
}

/// A remote stop of the transaction `transaction_id` (ours; 1.6 knows it by that id) whose
/// charger's own id (2.0.1) is `charger_transaction_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStop {
    pub charger_id: ChargerId,
    pub transaction_id: i64,
    pub charger_transaction_id: Option<String>,
    /// The order it stops.
    pub order_no: OrderNo,
    pub actor: String,
}

/// Why a command did not reach its answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("the charger is not connected")]
    Offline,
    #[error("the charger did not answer: {0}")]
    NoAnswer(String),
    /// Held by another node, which cannot be reached now: nothing was sent.
    #[error("the node holding the charger cannot be reached")]
    ClusterUnavailable,
}

/// What a pile can do that limits need: limit a session's power itself (OCPP smart charging:
/// 1.6 `SupportedFeatureProfiles` holds SmartCharging, 2.0.1 `SmartChargingCtrlr.Enabled`), and
/// report the car's state of charge (1.6 `MeterValuesSampledData`, 2.0.1
/// `SampledDataCtrlr.TxUpdatedMeasurands` holds SoC; every MQTT pile's status carries it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PileCapabilities {
    pub smart_charging: bool,
    pub reports_soc: bool,
}

/// Sends orders' commands to chargers. Each answers whether the charger accepted.
pub trait ChargerCommands: Send + Sync + std::fmt::Debug {
    /// What the pile can do, as it says (asked once in a while, not at every order).
    fn capabilities(&self, charger_id: ChargerId) -> BoxFuture<'_, Result<PileCapabilities, CommandError>>;
    fn remote_start(&self, start: RemoteStart) -> BoxFuture<'_, Result<bool, CommandError>>;
    fn remote_stop(&self, stop: RemoteStop) -> BoxFuture<'_, Result<bool, CommandError>>;
    /// 2.0.1's CostUpdated: the running cost shown on the charger (1.6 has no such call: `Ok(false)`).
    fn cost_updated(
        &self,
        charger_id: ChargerId,
        charger_transaction_id: String,
        total_cost: rust_decimal::Decimal,
    ) -> BoxFuture<'_, Result<bool, CommandError>>;
}
