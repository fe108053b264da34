//! Reservations (预约订单): a driver holds a free connector of an online pile for up to
//! `reservations.max_minutes`, for `reservations.fee` paid from the balance when reserving. An
//! OCPP pile is sent ReserveNow (CancelReservation when it ends early); an MQTT pile is held in
//! csms. While it holds, the connector shows `Reserved` and another driver's order is refused;
//! the reserver's own order takes it. The fee goes back to the balance toward the charge once the
//! driver's session starts, is kept when they do not come (or give it up), and is refunded when
//! the operator or the pile ends it. The same key that holds a pile for an order
//! ([`connector_lock_key`]) holds it for a reservation: a reservation and an order never both
//! get a connector, on one node or several.

pub mod port;
pub mod records;
mod sweep;

pub use port::{HoldError, PileHold, PileHolds, ReservationStore};
pub use records::{FeeStatus, Reservation, ReservationStatus, ReservationView};

use crate::config::ReservationSettings;
use crate::domain::events::{DomainEvents, UserEvent};
use crate::domain::ids::{ChargerId, OrderNo};
use crate::domain::ledger::money::Fen;
use crate::domain::stations::{StationError, Stations};
use crate::domain::storage::{StoreError, Subject};
use crate::domain::users::Identity;
use crate::kv::{Kv, KvError};
use chrono::Utc;
use records::{Ending, NewReservation};
use std::sync::Arc;
use std::time::Duration;

/// The key that holds a connector for an order or a reservation (in Redis when several nodes
/// share it).
pub fn connector_lock_key(charger_id: &str, evse_id: i32, connector_id: i32) -> String {
    format!("pile:lock:{charger_id}:{evse_id}:{connector_id}")
}

/// What a reservation writes under its connector's key: its driver's (who holds one at a time).
pub fn lock_value(user_id: i64) -> String {
    format!("reservation:{user_id}")
}

/// A driver's request: the connector, and for how long (default and most:
/// `reservations.max_minutes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserve {
    pub pile_code: ChargerId,
    pub connector_id: i32,
    pub minutes: Option<i64>,
}

/// Who asks: a driver acts on their own reservations only, an operator on all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Driver(i64),
    Operator(String),
}

/// Why a reservation request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("reservation {0} not found")]
    NotFound(String),
    #[error("pile {0} not found")]
    NoPile(String),
    #[error("pile {0} has no connector {1}")]
    NoConnector(String, i32),
    #[error("pile {0} is offline")]
    PileOffline(String),
    #[error("connector {1} of pile {0} is not free")]
    PileBusy(String, i32),
    #[error("connector {1} of pile {0} is reserved")]
    Reserved(String, i32),
    #[error("you hold a reservation already")]
    AlreadyReserving,
    #[error("the balance does not cover the reservation's fee")]
    InsufficientBalance,
    #[error("the pile refused the reservation")]
    Refused,
    #[error("the pile did not answer: {0}")]
    PileSilent(String),
    #[error("the node holding the pile cannot be reached; try again shortly")]
    ClusterUnavailable,
    #[error("the reservation is {0}: only an active one is cancelled")]
    NotActive(ReservationStatus),
    #[error("the pile lock: {0}")]
    Lock(#[from] KvError),
    #[error(transparent)]
    Stations(StationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<StationError> for ReservationError {
    fn from(e: StationError) -> Self {
        match e {
            StationError::Store(store) => ReservationError::Store(store),
            other => ReservationError::Stations(other),
        }
    }
}

/// The reservations service.
#[derive(Debug, Clone)]
pub struct Reservations {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn ReservationStore>,
    kv: Kv,
    stations: Stations,
    holds: Arc<dyn PileHolds>,
    settings: ReservationSettings,
    events: DomainEvents,
}

impl Reservations {
    pub fn new(
        store: impl ReservationStore + 'static,
        kv: Kv,
        stations: Stations,
        holds: Arc<dyn PileHolds>,
        settings: ReservationSettings,
        events: DomainEvents,
    ) -> Self {
        let inner = Inner { store: Arc::new(store), kv, stations, holds, settings, events };
        Reservations { inner: Arc::new(inner) }
    }

    /// Reserves a free connector of an online pile for the driver, taking the fee from their
    /// balance, and asks the pile to hold it; a pile that refuses (or cannot be asked) ends it
    /// at once and the fee is refunded.
    pub async fn reserve(&self, user: &Identity, request: Reserve) -> Result<ReservationView, ReservationError> {
        let inner = &self.inner;
        let most = i64::from(inner.settings.max_minutes);
        let minutes = request.minutes.unwrap_or(most);
        if !(1..=most).contains(&minutes) {
            return Err(ReservationError::Invalid {
                field: "minutes",
                message: format!("{minutes} is not from 1 to {most}"),
            });
        }
        let code = request.pile_code.to_string();
        let (pile, _) =
            inner.stations.pile(&request.pile_code).await?.ok_or_else(|| ReservationError::NoPile(code.clone()))?;
        if !pile.online {
            return Err(ReservationError::PileOffline(code));
        }
        let connector = pile
            .connector(request.connector_id)
            .ok_or_else(|| ReservationError::NoConnector(code.clone(), request.connector_id))?;
        match connector.status.as_str() {
            "Available" => {}
            "Reserved" => return Err(ReservationError::Reserved(code, request.connector_id)),
            _ => return Err(ReservationError::PileBusy(code, request.connector_id)),
        }
        let (evse_id, connector_id) = (connector.evse_id, connector.connector_id);
        let now = Utc::now();
        let hold_for = Duration::from_secs(u64::try_from(minutes).unwrap_or(1) * 60);
        // Whole seconds: what the pile is told is what is stored, on every engine.
        let expires_at = chrono::SubsecRound::trunc_subsecs(now + chrono::Duration::minutes(minutes), 0);
        let key = connector_lock_key(&code, evse_id, connector_id);
        if !inner.kv.set_new(&key, &lock_value(user.id), hold_for).await? {
            return Err(ReservationError::PileBusy(code, request.connector_id));
        }
        let new = NewReservation {
            user_id: user.id,
            charger_id: request.pile_code.clone(),
            evse_id,
            connector_id,
            id_tag: user.id_tag.clone(),
            fee: Fen(inner.settings.fee),
            expires_at,
            at: now,
        };
        let made = match inner.store.create_reservation(new).await {
            Ok(made) => made,
            Err(e) => {
                let _ = inner.kv.delete_if(&key, &lock_value(user.id)).await;
                return Err(match e {
                    StoreError::Conflict(Subject::Reservation) => ReservationError::AlreadyReserving,
                    StoreError::Conflict(_) => ReservationError::Reserved(code, request.connector_id),
                    StoreError::Insufficient(Subject::Balance) => ReservationError::InsufficientBalance,
                    other => other.into(),
                });
            }
        };
        let hold = PileHold {
            reservation_id: made.id,
            charger_id: made.charger_id.clone(),
            evse_id,
            connector_id,
            id_tag: made.id_tag.clone(),
            expires_at: made.expires_at,
            actor: format!("user:{}", user.id),
        };
        let refused = match inner.holds.hold(hold).await {
            Ok(true) => {
                self.publish("reservation.made", &made);
                return Ok(made.into());
            }
            Ok(false) => ReservationError::Refused,
            Err(HoldError::Offline) => ReservationError::PileOffline(code),
            Err(HoldError::ClusterUnavailable) => ReservationError::ClusterUnavailable,
            Err(HoldError::NoAnswer(why)) => {
                // It may hold it after all: asked to let go.
                self.release_on_pile(&made, "csms".to_owned());
                ReservationError::PileSilent(why)
            }
        };
        self.end(&made, ReservationStatus::Revoked, FeeStatus::Refunded, Some("pile".into())).await?;
        Err(refused)
    }

    /// A page of reservations, newest first: a driver's own, or for an operator everyone's.
    pub async fn list(
        &self,
        who: &Who,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<ReservationView>, u64), ReservationError> {
        let user_id = match who {
            Who::Driver(id) => Some(*id),
            Who::Operator(_) => None,
        };
        let (rows, total) = self.inner.store.reservations(user_id, offset, limit).await?;
        Ok((rows.into_iter().map(ReservationView::from).collect(), total))
    }

    /// Reservation `id`, if `who` may see it.
    pub async fn get(&self, who: &Who, id: i64) -> Result<ReservationView, ReservationError> {
        Ok(self.visible(who, id).await?.into())
    }

    async fn visible(&self, who: &Who, id: i64) -> Result<Reservation, ReservationError> {
        match (self.inner.store.reservation(id).await?, who) {
            (Some(found), Who::Operator(_)) => Ok(found),
            (Some(found), Who::Driver(user)) if found.user_id == *user => Ok(found),
            _ => Err(ReservationError::NotFound(id.to_string())),
        }
    }

    /// Ends an active reservation early: a driver's own gives up its fee; an operator's refunds
    /// it. The pile is asked to let the connector go.
    pub async fn cancel(&self, who: &Who, id: i64) -> Result<ReservationView, ReservationError> {
        let found = self.visible(who, id).await?;
        let (to, fee, by) = match who {
            Who::Driver(user) => (ReservationStatus::Cancelled, FeeStatus::Kept, format!("user:{user}")),
            Who::Operator(actor) => (ReservationStatus::Revoked, FeeStatus::Refunded, actor.clone()),
        };
        let Some(ended) = self.end(&found, to, fee, Some(by.clone())).await? else {
            let now = self.inner.store.reservation(id).await?.map_or(found.status, |r| r.status);
            return Err(ReservationError::NotActive(now));
        };
        self.release_on_pile(&ended, by);
        Ok(ended.into())
    }

    /// Ends `found` if it is still active, frees its key and tells its driver.
    async fn end(
        &self,
        found: &Reservation,
        to: ReservationStatus,
        fee: FeeStatus,
        by: Option<String>,
    ) -> Result<Option<Reservation>, StoreError> {
        let ending = Ending { id: found.id, to, fee, by, at: Utc::now() };
        let ended = self.inner.store.end_reservation(ending).await?;
        if let Some(ended) = &ended {
            self.free_key(ended).await;
            self.publish("reservation.ended", ended);
        }
        Ok(ended)
    }

    /// Frees the key a reservation held its connector by (only its own).
    async fn free_key(&self, reservation: &Reservation) {
        let key = connector_lock_key(reservation.charger_id.as_str(), reservation.evse_id, reservation.connector_id);
        if let Err(e) = self.inner.kv.delete_if(&key, &lock_value(reservation.user_id)).await {
            tracing::warn!(reservation = reservation.id, error = %e, "freeing a reservation's key failed: it expires by itself");
        }
    }

    /// Asks the pile, in a task of its own, to let the connector go (CancelReservation).
    fn release_on_pile(&self, reservation: &Reservation, actor: String) {
        let (holds, charger, id) = (self.inner.holds.clone(), reservation.charger_id.clone(), reservation.id);
        tokio::spawn(async move {
            match holds.release_hold(charger, id, actor).await {
                Ok(true) => {}
                Ok(false) => tracing::info!(
                    reservation = id,
                    "the pile refused to cancel the reservation (it may have ended it already)"
                ),
                Err(e) => {
                    tracing::info!(reservation = id, error = %e, "the pile was not told the reservation ended: it runs out by itself")
                }
            }
        });
    }

    /// The active reservation holding a connector, if any (what an order on it must respect).
    pub async fn on_connector(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<Option<Reservation>, StoreError> {
        self.inner.store.active_reservation_on(charger_id, evse_id, connector_id).await
    }

    /// The driver's order `order_no` is about to take their reservation: its key gives way.
    pub async fn give_way(&self, reservation: &Reservation) {
        self.free_key(reservation).await;
    }

    /// The driver's order `order_no` took their reservation `reservation`.
    pub async fn taken_by(&self, reservation: &Reservation, order_no: &OrderNo) {
        match self.inner.store.use_reservation(reservation.id, order_no, Utc::now()).await {
            Ok(Some(used)) => self.publish("reservation.used", &used),
            // Ended meanwhile (it ran out): the order stands on its own.
            Ok(None) => {}
            Err(e) => tracing::warn!(reservation = reservation.id, error = %e, "marking a reservation used failed"),
        }
    }

    /// The pile cannot serve a connector any more (it reported it faulted or unavailable): the
    /// reservation holding it is revoked and its fee refunded.
    pub async fn pile_cannot_serve(
        &self,
        charger_id: &ChargerId,
        evse_id: i32,
        connector_id: i32,
    ) -> Result<(), StoreError> {
        if let Some(found) = self.on_connector(charger_id, evse_id, connector_id).await? {
            self.end(&found, ReservationStatus::Revoked, FeeStatus::Refunded, Some("pile".into())).await?;
        }
        Ok(())
    }

    fn publish(&self, name: &'static str, reservation: &Reservation) {
        let data = serde_json::to_value(ReservationView::from(reservation.clone())).unwrap_or_default();
        self.inner.events.publish(UserEvent { user_id: reservation.user_id, name, data });
        // Made, ended or taken, the connector shows otherwise (a fee settled changes nothing).
        if name != "reservation.fee_settled" {
            let this = self.clone();
            let reservation = reservation.clone();
            tokio::spawn(async move { this.show_connector(&reservation).await });
        }
    }

    /// Tells operators' dashboards the reservation's connector as drivers now see it
    /// (`Reserved` while held; an MQTT pile, held in csms, says nothing of it itself).
    async fn show_connector(&self, reservation: &Reservation) {
        let Ok(Some((pile, _))) = self.inner.stations.pile(&reservation.charger_id).await else { return };
        let place = (reservation.evse_id, reservation.connector_id);
        let Some(connector) = pile.connectors.iter().find(|c| (c.evse_id, c.connector_id) == place) else { return };
        let data = serde_json::json!({
            "chargerId": reservation.charger_id.as_str(),
            "evseId": place.0,
            "connectorId": place.1,
            "status": connector.status,
            "at": Utc::now(),
        });
        self.inner.events.tell_operators("connector.status", data);
    }
}
