//! What drivers do with an order: start, stop and cancel it; and what it reads while charging.

use super::billing::running_bill;
use super::records::{Ending, MoneyRead, Settled, Transition};
use super::settle::give_back;
use super::{CommandError, LiveReading, OrderError, OrderStatus, OrderView, Orders, RemoteStart, RemoteStop, Scope};
use crate::domain::charging::recording::energy_wh;
use crate::domain::charging::records::Transaction;
use crate::domain::charging::transactions::ENERGY_REGISTER;
use crate::domain::ids::OrderNo;
use crate::domain::orders::limit::SessionLimits;
use crate::domain::orders::order::Order;
use crate::domain::tariffs::{Discount, Reading, Tariff};
use chrono::Utc;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::str::FromStr;

impl Orders {
    /// Sends the remote start with the driver's tag; the order is `STARTING` until the charger's
    /// start arrives. A refused start fails the order, releases the pile and refunds.
    pub async fn start(&self, scope: Scope, order_no: &OrderNo) -> Result<OrderView, OrderError> {
        let remote_start_id = super::number::new_remote_start_id();
        let deadline = Utc::now()
            + chrono::Duration::from_std(self.inner.settings.start_timeout()).unwrap_or(chrono::Duration::MAX);
        let change = Transition {
            remote_start_id: Some(remote_start_id),
            lock_expires_at: Some(deadline),
            user_id: match scope {
                Scope::User(id) => Some(id),
                Scope::Operator => None,
            },
            ..Transition::new(OrderStatus::Starting, &[OrderStatus::Ready])
        };
        // Made READY → STARTING in one statement; read only when it was not.
        let Some(starting) = self.transition(order_no, change).await? else {
            let found = self.visible(scope, order_no).await?;
            return Err(match found.status {
                OrderStatus::Ready => OrderError::WrongState(found.status, "it changed meanwhile"),
                _ => OrderError::WrongState(found.status, "only a READY order starts (a prepaid one once paid)"),
            });
        };
        let start = RemoteStart {
            charger_id: starting.charger_id.clone(),
            evse_id: starting.evse_id,
            connector_id: starting.connector_id,
            id_tag: starting.id_tag.clone(),
            remote_start_id,
            order_no: order_no.clone(),
            limits: SessionLimits::of(starting.session_max_power_w, starting.session_max_time_s, starting.limit),
            actor: format!("order:{order_no}"),
        };
        match self.inner.commands.remote_start(start).await {
            Ok(true) => Ok(OrderView::new(starting, None)),
            Ok(false) => {
                self.fail(&starting, "the charger refused to start").await?;
                Err(OrderError::StartRejected)
            }
            Err(CommandError::Offline) => {
                self.fail(&starting, "the charger was offline").await?;
                Err(OrderError::PileOffline(starting.charger_id.into_string()))
            }
            Err(CommandError::ClusterUnavailable) => {
                self.fail(&starting, "the node holding the charger could not be reached").await?;
                Err(OrderError::ClusterUnavailable)
            }
            // The charger may still start: the start timeout decides.
            Err(CommandError::NoAnswer(why)) => Err(OrderError::ChargerSilent(why)),
        }
    }

    /// Sends the remote stop; the order completes when the charger's stop arrives.
    pub async fn stop(&self, scope: Scope, order_no: &OrderNo) -> Result<OrderView, OrderError> {
        // The order and its transaction in one read.
        let (found, head) = match (self.inner.store.order_with_head(order_no).await?, scope) {
            (Some((o, head)), Scope::Operator) => (o, head),
            (Some((o, head)), Scope::User(id)) if o.user_id == id => (o, head),
            _ => return Err(OrderError::NotFound(order_no.to_string())),
        };
        if found.status != OrderStatus::Charging {
            return Err(OrderError::WrongState(found.status, "only a CHARGING order stops"));
        }
        match self.remote_stop_of(&found, head.as_ref()).await {
            // As read before the stop: the charger's stop transaction completes it later.
            Ok(true) => {
                let live = match &head {
                    Some(head) => self.live_reading_of(&found, head).await,
                    None => None,
                };
                Ok(OrderView::new(found, live))
            }
            Ok(false) => Err(OrderError::StopRejected),
            Err(CommandError::Offline) => Err(OrderError::PileOffline(found.charger_id.to_string())),
            Err(CommandError::ClusterUnavailable) => Err(OrderError::ClusterUnavailable),
            Err(CommandError::NoAnswer(why)) => Err(OrderError::ChargerSilent(why)),
        }
    }

    /// Cancels an order before it starts: the pile is released and what was paid refunded.
    pub async fn cancel(&self, scope: Scope, order_no: &OrderNo) -> Result<OrderView, OrderError> {
        let found = self.visible(scope, order_no).await?;
        let from = [OrderStatus::PendingPayment, OrderStatus::Ready];
        let Some(ended) = self.end(&found, OrderStatus::Cancelled, &from, "cancelled").await? else {
            return Err(OrderError::WrongState(found.status, "only an order not yet starting is cancelled"));
        };
        self.release(&ended).await;
        self.publish("order.cancelled", &ended);
        Ok(OrderView::new(ended, None))
    }

    /// Fails an order that did not start, releasing the pile and refunding.
    pub(super) async fn fail(&self, order: &Order, reason: &str) -> Result<Option<Order>, OrderError> {
        let ended = self.end(order, OrderStatus::Failed, &[OrderStatus::Starting], reason).await?;
        if let Some(ended) = &ended {
            self.release(ended).await;
            self.publish("order.failed", ended);
        }
        Ok(ended)
    }

    /// Ends an order that did not charge (`to` from one of `from`), giving back all it kept:
    /// decided from its money as read now, and again when a payment or a refund moved it.
    pub(super) async fn end(
        &self,
        found: &Order,
        to: OrderStatus,
        from: &[OrderStatus],
        reason: &str,
    ) -> Result<Option<Order>, OrderError> {
        let chose = found.refund_to;
        let mut current = found.clone();
        for _ in 0..super::records::SETTLE_ATTEMPTS {
            let read = MoneyRead::of(&current);
            let payments = self.inner.store.refundable_payments(&current.order_no).await?;
            let refund_no = super::number::new_number('R', Utc::now());
            let (refunds, payment_status) = match give_back(read, &payments, chose, &refund_no) {
                Ok(planned) => planned,
                Err(why) => match self.read_again(&current, why).await? {
                    Some(again) => {
                        current = again;
                        continue;
                    }
                    None => return Ok(None),
                },
            };
            let ending = Ending {
                order_no: current.order_no.clone(),
                to,
                from: from.to_vec(),
                reason: reason.to_owned(),
                read,
                refunds,
                payment_status,
            };
            match self.inner.store.end_order(ending).await? {
                Settled::Done(ended) => return Ok(Some(*ended)),
                Settled::NotInState => return Ok(None),
                Settled::MoneyChanged => match self.inner.store.order(&current.order_no).await? {
                    Some(again) => current = again,
                    None => return Ok(None),
                },
            }
        }
        Err(OrderError::Busy(found.order_no.to_string()))
    }

    pub(super) async fn remote_stop(&self, order: &Order) -> Result<bool, CommandError> {
        let Some(transaction_id) = order.transaction_id else { return Ok(false) };
        let head = self.inner.store.transaction_head(transaction_id).await.ok().flatten();
        self.remote_stop_of(order, head.as_ref()).await
    }

    /// The same, its transaction read (`head`; none when it could not be).
    async fn remote_stop_of(&self, order: &Order, head: Option<&Transaction>) -> Result<bool, CommandError> {
        let Some(transaction_id) = order.transaction_id else { return Ok(false) };
        let stop = RemoteStop {
            charger_id: order.charger_id.clone(),
            transaction_id,
            charger_transaction_id: head.and_then(|t| t.charger_transaction_id.clone()),
            order_no: order.order_no.clone(),
            actor: format!("order:{}", order.order_no),
        };
        self.inner.commands.remote_stop(stop).await
    }

    /// What the order's connector reads now and what the energy so far costs; none unless
    /// charging.
    pub(super) async fn live_reading(&self, order: &Order) -> Option<LiveReading> {
        if order.status != OrderStatus::Charging {
            return None;
        }
        let head = self.inner.store.transaction_head(order.transaction_id?).await.ok().flatten()?;
        self.live_reading_of(order, &head).await
    }

    /// The same, with the order's transaction read already.
    pub(super) async fn live_reading_of(&self, order: &Order, head: &Transaction) -> Option<LiveReading> {
        let transaction_id = head.id;
        let views = self.inner.charging.live().of(&order.charger_id);
        let view = views.into_iter().find(|v| v.transaction_id == Some(transaction_id));
        let value = |measurand: &str| {
            view.as_ref()?
                .values
                .iter()
                .find(|v| v.measurand == measurand && v.phase.is_none() && v.location != "EV")
                .map(|v| (v.value.clone(), v.unit.clone(), v.sampled_at))
        };
        let latest = value(ENERGY_REGISTER)
            .filter(|(_, unit, _)| unit == "Wh")
            .and_then(|(text, _, at)| Some(Reading { at, wh: Decimal::from_str(&text).ok()?.round().to_i64()? }));
        // Where the session began: its start's meter value, else its first stored reading.
        let start = match head.meter_start_wh {
            Some(wh) => Reading { at: head.started_at, wh: wh.get() },
            None => match self.inner.store.first_reading(transaction_id, energy_wh).await.ok().flatten() {
                Some((at, wh)) => Reading { at, wh },
                None => latest.unwrap_or(Reading { at: head.started_at, wh: 0 }),
            },
        };
        let discount = discount_of(order);
        let cost =
            priced(order).map(|(tariff, zone)| running_bill(&tariff, zone, start, latest, discount.as_ref()).total);
        Some(LiveReading {
            power_w: value("Power.Active.Import").map(|(v, _, _)| v),
            // The car's, wherever the charger says it was measured (the EV, mostly).
            soc: view
                .as_ref()
                .and_then(|v| v.values.iter().find(|v| v.measurand == "SoC" && v.phase.is_none()))
                .map(|v| v.value.clone()),
            energy_wh: latest.map(|r| r.wh.saturating_sub(start.wh).max(0)),
            cost: cost.map(|c| format!("{:.2}", c)),
            duration_s: Some((Utc::now() - head.started_at).num_seconds()),
            updated_at: view.and_then(|v| v.updated_at),
        })
    }
}

/// The member's discount an order was made with, if any.
pub(super) fn discount_of(order: &Order) -> Option<Discount> {
    serde_json::from_str(order.discount.as_deref()?).ok()
}

/// The tariff copied onto an order, and the station's zone.
pub(super) fn priced(order: &Order) -> Option<(Tariff, chrono_tz::Tz)> {
    let tariff = serde_json::from_str(&order.tariff).ok()?;
    let zone = order.timezone.parse().ok()?;
    Some((tariff, zone))
}
