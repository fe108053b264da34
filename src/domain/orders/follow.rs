//! Orders follow the chargers: a start links (or, for a driver's card, makes) the order, an end
//! bills and settles it, statuses mark when charging finished and when the connector was freed.
//! Every step is conditional in the database, so an event seen twice, or by two nodes, or
//! recovered by the sweep, applies once.

use super::actions::priced;
use super::records::{BillRead, MoneyRead, NewOrder, OccupancyCharge, Settled, StartSeen, Transition};
use super::settle::occupancy;
use super::{OrderError, OrderStatus, Orders, PayMode};
use crate::domain::charging::events::ChargingEvent;
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::to_fen;
use crate::domain::nodes::Nodes;
use crate::domain::orders::order::Order;
use crate::domain::payments::records::Destination;
use crate::domain::storage::Subject;
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How many tasks follow charging events, and how many events each may have waiting.
const FOLLOWERS: usize = 16;
const FOLLOWER_QUEUE: usize = 4096;

/// The follower of a charger's events.
fn shard_of(event: &ChargingEvent) -> usize {
    use std::hash::{Hash, Hasher};
    let charger = match event {
        ChargingEvent::Started { charger_id, .. }
        | ChargingEvent::Ended { charger_id, .. }
        | ChargingEvent::Status { charger_id, .. } => charger_id,
    };
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    charger.hash(&mut hasher);
    (hasher.finish() % FOLLOWERS as u64) as usize
}

/// A tariff that prices nothing: for a card session on a pile with no tariff in force.
const FREE_TARIFF: &str =
    r#"{"validFrom":"2000-01-01","periods":[{"start":"00:00","end":"00:00","energyPrice":"0","serviceFee":"0"}]}"#;

impl Orders {
    /// Follows charging events until `stop`, while a task of its own sweeps every
    /// `orders.sweep_interval_ms` (a slow charger answering a sweep's command never holds up
    /// the events). Events are followed by `FOLLOWERS` tasks, each charger's always by the same
    /// one: a charger's events keep their order, and chargers do not wait for each other.
    pub async fn follow(self, mut events: mpsc::Receiver<ChargingEvent>, nodes: Nodes, stop: CancellationToken) {
        let sweeper = tokio::spawn(self.clone().sweep_until(nodes, stop.clone()));
        let mut shards = Vec::with_capacity(FOLLOWERS);
        let mut followers = Vec::with_capacity(FOLLOWERS);
        for _ in 0..FOLLOWERS {
            let (tx, mut rx) = mpsc::channel::<ChargingEvent>(FOLLOWER_QUEUE);
            let orders = self.clone();
            followers.push(tokio::spawn(async move {
                while let Some(event) = rx.recv().await {
                    if let Err(e) = orders.on_event(event.clone()).await {
                        tracing::error!(?event, error = %e, "an order could not follow its charger: left to the sweep");
                    }
                }
            }));
            shards.push(tx);
        }
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => {
                        let shard = shard_of(&event);
                        if shards[shard].send(event).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                _ = stop.cancelled() => break,
            }
        }
        drop(shards);
        for follower in followers {
            let _ = follower.await;
        }
        let _ = sweeper.await;
    }

    pub(super) async fn on_event(&self, event: ChargingEvent) -> Result<(), OrderError> {
        match event {
            ChargingEvent::Started {
                transaction_id,
                charger_id,
                evse_id,
                connector_id,
                id_tag,
                remote_start_id,
                at,
            } => {
                self.started(transaction_id, &charger_id, (evse_id, connector_id), id_tag.as_ref(), remote_start_id, at)
                    .await
            }
            ChargingEvent::Ended { transaction_id, .. } => {
                match self.inner.store.order_to_bill(transaction_id).await? {
                    // Billed from a stale close: this may be its real stop.
                    Some((found, _, _)) if found.status == OrderStatus::Completed => self.rebill(&found).await?,
                    Some((found, Some(to_bill), payments)) => {
                        self.complete_from(&found, to_bill, Some(payments)).await?
                    }
                    Some(_) | None => {}
                }
                Ok(())
            }
            ChargingEvent::Status { charger_id, evse_id, connector_id, status, at } => {
                self.status(&charger_id, (evse_id, connector_id), &status, at).await
            }
        }
    }

    /// A transaction began: the order waiting for it charges now; else a driver's card makes a
    /// postpaid order of its own.
    pub(super) async fn started(
        &self,
        transaction_id: i64,
        charger_id: &ChargerId,
        place: (i32, i32),
        id_tag: Option<&IdTag>,
        remote_start_id: Option<i32>,
        at: DateTime<Utc>,
    ) -> Result<(), OrderError> {
        let store = &self.inner.store;
        let seen =
            StartSeen { transaction_id, charger_id, evse_id: place.0, connector_id: place.1, id_tag, remote_start_id };
        let found = store.orders_at_start(&seen).await?;
        // The connector is taken again: the occupancy of the orders before ends with this start.
        self.bill_freed(found.awaiting_occupancy, at, Some(transaction_id)).await?;
        if found.of_transaction.is_some() {
            return Ok(());
        }
        if let Some(waiting) = found.to_start {
            let change = Transition {
                transaction_id: Some(transaction_id),
                started_at: Some(at),
                ..Transition::new(OrderStatus::Charging, &[OrderStatus::Starting, OrderStatus::Ready])
            };
            match self.transition(&waiting.order_no, change).await {
                Ok(Some(charging)) => self.publish("order.started", &charging),
                Ok(None) | Err(crate::domain::storage::StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            return Ok(());
        }
        let Some(tag) = id_tag else { return Ok(()) };
        let Some(user) = store.user_by_id_tag(tag).await? else { return Ok(()) };
        self.card_order(&user, transaction_id, charger_id, place, tag, at).await
    }

    /// A session started with a driver's card (no app order): their postpaid order.
    async fn card_order(
        &self,
        user: &crate::domain::users::records::User,
        transaction_id: i64,
        charger_id: &ChargerId,
        (evse_id, connector_id): (i32, i32),
        tag: &IdTag,
        at: DateTime<Utc>,
    ) -> Result<(), OrderError> {
        let inner = &self.inner;
        let station = inner.stations.pile(charger_id).await?.and_then(|(_, station)| station);
        // The driver's group's tariff where it has one, less their level's discount.
        let (group, discount) = inner.membership.pricing(user.id).await?;
        let priced = match &station {
            // Priced by the tariff in force when the session started (a charger that was offline
            // may tell of it much later, after a tariff change); one stamped before the station
            // had any tariff (a pile's clock behind) by the first it had.
            Some(station) => match inner.stations.tariff_for(station, group.as_deref(), at).await? {
                Some(priced) => Some(priced),
                None => inner.stations.tariff_for(station, group.as_deref(), Utc::now()).await?,
            },
            None => None,
        };
        let (tariff, zone, price_group) = match priced {
            Some((tariff, zone, group)) => {
                (serde_json::to_string(&tariff).unwrap_or_default(), zone.name().to_owned(), group)
            }
            None => {
                tracing::warn!(charger = %charger_id, %tag, "a card session on a pile with no tariff in force: billed at zero");
                (FREE_TARIFF.to_owned(), "Asia/Shanghai".to_owned(), None)
            }
        };
        // 2.0.1 may leave the connector out: the EVSE's connector, as its statuses name it.
        let mut connector_id = connector_id;
        if connector_id == 0 && evse_id > 0 {
            let known = inner.store.connectors(charger_id).await?;
            connector_id = known.iter().filter(|c| c.evse_id == evse_id).map(|c| c.connector_id).min().unwrap_or(1);
        }
        let now = Utc::now();
        let mut new = NewOrder {
            order_no: super::number::new_order_no(now),
            user_id: user.id,
            charger_id: charger_id.to_owned(),
            evse_id,
            connector_id,
            id_tag: tag.to_owned(),
            status: OrderStatus::Charging,
            pay_mode: PayMode::Postpaid,
            method: Some("balance".to_owned()),
            prepay_fen: None,
            refund_to: Destination::Original,
            tariff,
            timezone: zone,
            hold: true,
            lock_expires_at: now,
            transaction_id: Some(transaction_id),
            started_at: Some(at),
            limit: None,
            session_max_power_w: station.as_ref().and_then(|s| s.session.max_power_w),
            session_max_time_s: station.as_ref().and_then(|s| s.session.max_time_s),
            price_group,
            discount: discount.as_ref().and_then(|d| serde_json::to_string(d).ok()),
            at: now,
        };
        loop {
            match inner.store.create_order(new.clone()).await {
                Ok(created) => {
                    self.publish("order.started", &created);
                    return Ok(());
                }
                // Made already: the start was seen twice.
                Err(crate::domain::storage::StoreError::Conflict(Subject::OrderOfTransaction)) => return Ok(()),
                // The user has another live order, or another order holds the connector (its
                // driver has not plugged in): the session is still this user's to pay.
                Err(crate::domain::storage::StoreError::Conflict(what)) if new.hold => {
                    tracing::info!(transaction_id, %what, "a card session's order holds neither user nor connector");
                    new.hold = false;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A connector's status: charging finished (suspended by the EV, finishing) or resumed, or
    /// the connector freed — which bills the occupancy fee of the order that kept it.
    async fn status(
        &self,
        charger_id: &ChargerId,
        place: (i32, i32),
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OrderError> {
        let store = &self.inner.store;
        match status {
            "SuspendedEV" | "Finishing" | "Charging" => {
                let Some(live) = store.order_on(charger_id, place.0, place.1).await? else { return Ok(()) };
                let resumed = status == "Charging";
                if resumed && live.charging_ended_at.is_none() {
                    // Charging, as it was: nothing to record (every session's start says so).
                    return Ok(());
                }
                let change = Transition {
                    charging_ended_at: (!resumed).then_some(at),
                    resumed,
                    ..Transition::new(OrderStatus::Charging, &[OrderStatus::Charging])
                };
                self.transition(&live.order_no, change).await?;
            }
            "Available" => self.end_occupancy(charger_id, place, at).await?,
            // The pile cannot serve the connector: a reservation holding it is revoked.
            "Faulted" | "Unavailable" => {
                self.inner.reservations.pile_cannot_serve(charger_id, place.0, place.1).await?
            }
            _ => {}
        }
        Ok(())
    }

    /// Bills the occupancy of the completed orders on a connector that reported Available at
    /// `at` that stopped before then.
    async fn end_occupancy(
        &self,
        charger_id: &ChargerId,
        (evse_id, connector_id): (i32, i32),
        at: DateTime<Utc>,
    ) -> Result<(), OrderError> {
        let awaiting = self.inner.store.awaiting_occupancy_on(charger_id, evse_id, connector_id).await?;
        self.bill_freed(awaiting, at, None).await
    }

    /// Bills the occupancy of those of `awaiting` (completed orders on a connector freed at `at`:
    /// it reported Available, or transaction `next` started on it) that stopped before then, but
    /// not of `next`'s own order.
    async fn bill_freed(&self, awaiting: Vec<Order>, at: DateTime<Utc>, next: Option<i64>) -> Result<(), OrderError> {
        for done in awaiting {
            let own = next.is_some() && done.transaction_id == next;
            if !own && done.stopped_at.is_none_or(|stopped| stopped <= at) {
                self.bill_occupancy(&done, at).await?;
            }
        }
        Ok(())
    }

    /// Bills a completed order's occupancy fee, its connector freed at `freed_at`.
    pub(super) async fn bill_occupancy(&self, done: &Order, freed_at: DateTime<Utc>) -> Result<(), OrderError> {
        let (tariff, _) =
            priced(done).ok_or_else(|| OrderError::Corrupt(done.order_no.to_string(), "its tariff".into()))?;
        let finished = done.charging_ended_at.or(done.stopped_at).unwrap_or(freed_at);
        let line = tariff.occupancy_line(finished, freed_at);
        let fee = line.as_ref().map_or(rust_decimal::Decimal::ZERO, |l| l.amount);
        let fee_fen =
            to_fen(fee, "occupancy").map_err(|e| OrderError::Corrupt(done.order_no.to_string(), e.to_string()))?;
        let mut current = done.clone();
        for _ in 0..super::records::SETTLE_ATTEMPTS {
            // The bill as it reads now (billed again meanwhile, its lines are the new ones).
            let bill: crate::domain::tariffs::Bill =
                current.lines.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default();
            let lines = serde_json::to_string(&bill.with_occupancy(line.clone())).unwrap_or_default();
            let read = MoneyRead::of(&current);
            let payment_no = super::number::new_payment_no(Utc::now());
            let charge = OccupancyCharge {
                order_no: current.order_no.clone(),
                user_id: current.user_id,
                fee_fen,
                lines,
                read,
                bill_read: BillRead::of(&current),
                collection: occupancy(read, current.total_fen.unwrap_or(Fen::ZERO), fee_fen, &payment_no),
            };
            match self.inner.store.charge_occupancy(charge).await? {
                Settled::Done(charged) => {
                    if fee_fen.is_positive() {
                        self.publish("order.occupancy_billed", &charged);
                    }
                    return Ok(());
                }
                Settled::NotInState => return Ok(()),
                Settled::MoneyChanged => match self.inner.store.order(&current.order_no).await? {
                    Some(again) => current = again,
                    None => return Ok(()),
                },
            }
        }
        Err(OrderError::Busy(done.order_no.to_string()))
    }
}
