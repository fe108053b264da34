//! The orders' sweep: holds that expired, starts that never came, money that ran out, running
//! costs shown on 2.0.1 chargers, and whatever an event missed (a transaction that ended, a
//! connector freed).

use super::records::Ending;
use super::{OrderError, OrderStatus, Orders, PayMode};
use crate::domain::charging::ACTIVE;
use crate::domain::ledger::to_fen;
use chrono::Utc;
use entity::order;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// How many orders one sweep looks at, of each kind.
const SWEEP_BATCH: u64 = 10_000;
/// A stop csms sent for money that ran out is sent again after this long without the stop.
const STOP_AGAIN_AFTER: Duration = Duration::from_secs(60);

impl Orders {
    /// One pass over the live orders and the completed ones still owing an occupancy decision.
    pub(super) async fn sweep(&self) {
        let live = ["PENDING_PAYMENT", "READY", "STARTING", "CHARGING"];
        match self.inner.store.orders_in(&live, SWEEP_BATCH).await {
            Ok(orders) => {
                for found in orders {
                    if let Err(e) = self.look_after(&found).await {
                        tracing::warn!(order = %found.order_no, error = %e, "sweeping an order failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the live orders failed"),
        }
        match self.inner.store.orders_awaiting_occupancy(SWEEP_BATCH).await {
            Ok(orders) => {
                for found in orders {
                    if let Err(e) = self.freed(&found).await {
                        tracing::warn!(order = %found.order_no, error = %e, "billing an occupancy fee failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the orders awaiting occupancy failed"),
        }
    }

    async fn look_after(&self, found: &order::Model) -> Result<(), OrderError> {
        let now = Utc::now();
        match OrderStatus::parse(&found.status) {
            Some(OrderStatus::PendingPayment | OrderStatus::Ready) if found.lock_expires_at < now => {
                let ending = Ending {
                    order_no: found.order_no.clone(),
                    to: OrderStatus::Cancelled.as_str(),
                    from: vec![OrderStatus::PendingPayment.as_str(), OrderStatus::Ready.as_str()],
                    reason: "the pile's hold expired before the order started".to_owned(),
                    refund_no: super::number::new_number('R', now),
                };
                if let Some(ended) = self.inner.store.end_order(ending).await? {
                    self.release(&ended).await;
                    self.publish("order.cancelled", &ended);
                }
            }
            Some(OrderStatus::Starting) if found.lock_expires_at < now => {
                // The start may have come while its event was lost.
                match self.inner.store.open_transaction_of(&found.charger_id, &found.id_tag).await? {
                    Some(open) => {
                        let place = (open.evse_id, open.connector_id);
                        let tag = open.id_tag.clone();
                        self.started_again(open.id, &found.charger_id, place, tag.as_deref(), open.started_at).await?;
                    }
                    None => {
                        let waited = self.inner.settings.start_timeout_s;
                        self.fail(found, &format!("the charger did not start within {waited} s")).await?;
                    }
                }
            }
            Some(OrderStatus::Charging) => self.watch_charging(found).await?,
            _ => {}
        }
        Ok(())
    }

    async fn started_again(
        &self,
        transaction_id: i64,
        charger_id: &str,
        place: (i32, i32),
        id_tag: Option<&str>,
        at: chrono::DateTime<Utc>,
    ) -> Result<(), OrderError> {
        let event = crate::domain::charging::events::ChargingEvent::Started {
            transaction_id,
            charger_id: charger_id.to_owned(),
            evse_id: place.0,
            connector_id: place.1,
            id_tag: id_tag.map(str::to_owned),
            remote_start_id: None,
            at,
        };
        self.on_event(event).await
    }

    /// A charging order: completed if its transaction ended unheard; stopped when its money ran
    /// out; its running cost sent to a 2.0.1 charger.
    async fn watch_charging(&self, found: &order::Model) -> Result<(), OrderError> {
        let Some(transaction_id) = found.transaction_id else { return Ok(()) };
        let Some(head) = self.inner.store.transaction_head(transaction_id).await? else { return Ok(()) };
        if head.status != ACTIVE {
            return self.complete(found).await;
        }
        let Some(live) = self.live_reading(found).await else { return Ok(()) };
        let Some(cost) = live.cost.as_deref().and_then(|c| Decimal::from_str(c).ok()) else { return Ok(()) };
        let cost_fen = to_fen(cost, "cost").unwrap_or(i64::MAX);
        let limit_fen = match PayMode::parse(&found.pay_mode) {
            Some(PayMode::Prepaid) => found.paid_fen - found.refunded_fen,
            _ => self.inner.store.user(found.user_id).await?.map_or(0, |u| u.balance_fen),
        };
        if cost_fen >= limit_fen {
            let recently = self.inner.stops_sent.get(&found.order_no).is_some_and(|at| at.elapsed() < STOP_AGAIN_AFTER);
            if !recently {
                self.inner.stops_sent.insert(found.order_no.clone(), Instant::now());
                tracing::info!(order = %found.order_no, cost = %cost, "the order's money ran out: stopping it");
                if let Err(e) = self.remote_stop(found).await {
                    tracing::warn!(order = %found.order_no, error = %e, "stopping an order whose money ran out failed");
                }
            }
        }
        if let Some(charger_transaction_id) = head.charger_transaction_id {
            let due = self.inner.costs_sent.get(&found.order_no).is_none_or(|sent| {
                sent.1 != cost_fen && sent.0.elapsed() >= self.inner.settings.cost_update_interval()
            });
            if due {
                self.inner.costs_sent.insert(found.order_no.clone(), (Instant::now(), cost_fen));
                let sent =
                    self.inner.commands.cost_updated(found.charger_id.clone(), charger_transaction_id, cost).await;
                if let Err(e) = sent {
                    tracing::debug!(order = %found.order_no, error = %e, "CostUpdated not delivered");
                }
            }
        }
        Ok(())
    }

    /// A completed order awaiting its occupancy decision: billed once its connector reports
    /// Available since it stopped.
    async fn freed(&self, found: &order::Model) -> Result<(), OrderError> {
        let connectors = self.inner.store.connectors(&found.charger_id).await?;
        let freed = connectors.iter().find(|c| {
            c.evse_id == found.evse_id
                && c.connector_id == found.connector_id
                && c.status == "Available"
                && found.stopped_at.is_none_or(|stopped| c.status_at >= stopped)
        });
        if let Some(connector) = freed {
            self.bill_occupancy(found, connector.status_at).await?;
        }
        Ok(())
    }
}
