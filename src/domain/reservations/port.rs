//! What reservations need stored, and what they ask of piles: their ports, in their own types.

use super::records::{Ending, FeeStatus, HeldFee, NewReservation, Reservation};
use crate::domain::ids::{ChargerId, IdTag, OrderNo};
use crate::domain::storage::StoreError;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

/// Reservations' persistence. Every change is conditional on the state decided from, and moves
/// money only with its ledger row, in one database transaction.
#[async_trait::async_trait]
pub trait ReservationStore: Send + Sync + std::fmt::Debug {
    /// Makes the reservation and takes its fee from the balance. `Conflict(Connector)` when
    /// another reservation holds the connector, `Conflict(Reservation)` when the driver holds
    /// one already, `Insufficient(Balance)` when the balance does not cover the fee.
    async fn create_reservation(&self, new: NewReservation) -> Result<Reservation, StoreError>;

    async fn reservation(&self, id: i64) -> Result<Option<Reservation>, StoreError>;

    /// A page of reservations, newest first (a driver's, or everyone's), and how many in all.
    async fn reservations(
        &self,
        user_id: Option<i64>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Reservation>, u64), StoreError>;

    /// The active reservation holding a connector, if any.
    async fn active_reservation_on(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Option<Reservation>, StoreError>;

    /// The connectors of `charger_ids` that active reservations hold: (charger, evse, connector).
    async fn reserved_connectors(&self, charger_ids: &[ChargerId]) -> Result<Vec<(ChargerId, i32, i32)>, StoreError>;

    /// Ends an active reservation as `ending` says, giving its fee back to the balance when
    /// `ending.fee` does; none when it was not active any more.
    async fn end_reservation(&self, ending: Ending) -> Result<Option<Reservation>, StoreError>;

    /// An active reservation taken by its driver's order `order_no`; none when it was not
    /// active any more.
    async fn use_reservation(
        &self,
        id: i64,
        order_no: &OrderNo,
        at: DateTime<Utc>,
    ) -> Result<Option<Reservation>, StoreError>;

    /// Decides a used reservation's held fee (`to`), giving it back to the balance when `to`
    /// does; none when it was decided already.
    async fn settle_reservation_fee(
        &self,
        id: i64,
        to: FeeStatus,
        at: DateTime<Utc>,
    ) -> Result<Option<Reservation>, StoreError>;

    /// Active reservations past their time, oldest first.
    async fn reservations_due(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Reservation>, StoreError>;

    /// Used reservations whose fee is held, with their orders.
    async fn held_fees(&self, limit: u64) -> Result<Vec<HeldFee>, StoreError>;
}

/// A hold asked of a pile: 1.6 and 2.0.1 ReserveNow (an MQTT pile is held in csms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PileHold {
    pub reservation_id: i64,
    pub charger_id: ChargerId,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: IdTag,
    pub expires_at: DateTime<Utc>,
    /// Who asks, for the operation log.
    pub actor: String,
}

/// Why a pile could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoldError {
    #[error("the pile is not connected")]
    Offline,
    #[error("the pile did not answer: {0}")]
    NoAnswer(String),
    #[error("the node holding the pile cannot be reached")]
    ClusterUnavailable,
}

/// Asks piles to hold and release connectors; each answers whether the pile accepted.
pub trait PileHolds: Send + Sync + std::fmt::Debug {
    fn hold(&self, hold: PileHold) -> BoxFuture<'_, Result<bool, HoldError>>;
    fn release_hold(
        &self,
        charger_id: ChargerId,
        reservation_id: i64,
        actor: String,
    ) -> BoxFuture<'_, Result<bool, HoldError>>;
}
