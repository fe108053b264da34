//! The orders' sweep: holds that expired, starts that never came (or whose event was lost),
//! money that ran out, targets and session times reached, running costs shown on 2.0.1 chargers, and whatever an event missed — a
//! transaction that ended, a card session never heard of, a connector freed.

use super::limit::Progress;
use super::records::Transition;
use super::{LiveReading, OrderError, OrderStatus, Orders, PayMode};
use crate::domain::chargers::records::Connector;
use crate::domain::charging::ACTIVE;
use crate::domain::charging::records::Transaction;
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::to_fen;
use crate::domain::nodes::{Job, Nodes};
use crate::domain::orders::order::Order;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How many orders one sweep looks at, of each kind.
const SWEEP_BATCH: u64 = 10_000;
/// A stop csms sent for money that ran out is sent again after this long without the stop.
const STOP_AGAIN_AFTER: Duration = Duration::from_secs(60);
/// Sessions without an order are looked for no older than a day (`orders.adopt_after_s` says
/// how often, and how long a start event is given to be followed first).
const LOOK_BACK: chrono::Duration = chrono::Duration::days(1);
/// At start, the orphan search begins this many transactions back.
const ORPHAN_WINDOW: i64 = 50_000;

impl Orders {
    /// Sweeps every `orders.sweep_interval_ms` until `stop`, while this node holds the sweep's
    /// lease (one node of a cluster sweeps).
    pub(super) async fn sweep_until(self, nodes: Nodes, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.inner.settings.sweep_interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let watermark = AtomicI64::new(-1);
        let mut orphans_due = Instant::now();
        let mut sweeping = false;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.cancelled() => return,
            }
            if !nodes.runs(Job::OrderSweep) {
                sweeping = false;
                continue;
            }
            if !sweeping {
                // On taking the sweep over: orders a stop reached while no node was following.
                sweeping = true;
                self.rebill_missed().await;
            }
            self.sweep().await;
            if orphans_due <= Instant::now() {
                orphans_due = Instant::now() + self.inner.settings.adopt_after();
                if let Err(e) = self.adopt_orphans(&watermark).await {
                    tracing::warn!(error = %e, "looking for sessions without an order failed");
                }
            }
        }
    }

    /// Orders a stop reached while csms was down or not following, billed again.
    async fn rebill_missed(&self) {
        match self.inner.store.orders_billed_before_their_stop(Utc::now() - LOOK_BACK, SWEEP_BATCH).await {
            Ok(missed) => {
                for found in missed {
                    if let Err(e) = self.rebill(&found).await {
                        tracing::warn!(order = %found.order_no, error = %e, "billing an order again failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "looking for orders to bill again failed"),
        }
    }

    /// One pass over the live orders and the completed ones still owing an occupancy decision.
    pub(super) async fn sweep(&self) {
        let live = ["PENDING_PAYMENT", "READY", "STARTING", "CHARGING"];
        match self.inner.store.orders_in(&live, SWEEP_BATCH).await {
            Ok(orders) => {
                // The charging orders' transactions and payers, read in a few statements.
                let charging: Vec<&Order> = orders.iter().filter(|o| o.status == OrderStatus::Charging).collect();
                let ids: Vec<i64> = charging.iter().filter_map(|o| o.transaction_id).collect();
                let payers: Vec<i64> = charging.iter().map(|o| o.user_id).collect();
                let heads = self.inner.store.transaction_heads(&ids).await;
                let balances = self.inner.store.balances(&payers).await;
                let (heads, balances) = match (heads, balances) {
                    (Ok(heads), Ok(balances)) => (heads, balances),
                    (Err(e), _) | (_, Err(e)) => {
                        tracing::warn!(error = %e, "reading the charging orders' transactions failed");
                        return;
                    }
                };
                // Each driver's postpaid and card sessions, with what each has cost so far.
                let mut running: Vec<(&Order, Fen)> = Vec::new();
                for found in &orders {
                    let done = match found.transaction_id.and_then(|id| heads.get(&id)) {
                        Some(head) if found.status == "CHARGING" => match self.watch_charging(found, head).await {
                            Ok(Some(cost_fen)) => {
                                running.push((found, cost_fen));
                                Ok(())
                            }
                            Ok(None) => Ok(()),
                            Err(e) => Err(e),
                        },
                        _ => self.look_after(found).await,
                    };
                    if let Err(e) = done {
                        tracing::warn!(order = %found.order_no, error = %e, "sweeping an order failed");
                    }
                }
                self.hold_credit(&running, &balances).await;
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
        self.inner.reservations.sweep().await;
    }

    async fn look_after(&self, found: &Order) -> Result<(), OrderError> {
        let now = Utc::now();
        match found.status {
            OrderStatus::PendingPayment | OrderStatus::Ready if found.lock_expires_at < now => {
                let from = [OrderStatus::PendingPayment, OrderStatus::Ready];
                let why = "the pile's hold expired before the order started";
                if let Some(ended) = self.end(found, OrderStatus::Cancelled, &from, why).await? {
                    self.release(&ended).await;
                    self.publish("order.cancelled", &ended);
                }
            }
            OrderStatus::Starting if found.lock_expires_at < now => self.start_overdue(found).await?,
            OrderStatus::Charging => {
                // Its transaction gone from the database: nothing to watch.
            }
            _ => {}
        }
        Ok(())
    }

    /// A start overdue: the charger may have started while its event was lost — then the
    /// session on the order's connector since the remote start is the order's (ended or not);
    /// else the order fails and refunds.
    async fn start_overdue(&self, found: &Order) -> Result<(), OrderError> {
        let timeout = chrono::Duration::from_std(self.inner.settings.start_timeout()).unwrap_or(chrono::Duration::MAX);
        let since = found.lock_expires_at.checked_sub_signed(timeout).unwrap_or(found.created_at) - self.adopt_after();
        if let Some(open) = self.inner.store.unclaimed_transaction(found, since).await? {
            let place = (open.evse_id, open.connector_id);
            let tag = Some(&found.id_tag);
            return self.started(open.id, &found.charger_id, place, tag, found.remote_start_id, open.started_at).await;
        }
        let waited = self.inner.settings.start_timeout_s;
        self.fail(found, &format!("the charger did not start within {waited} s")).await?;
        Ok(())
    }

    /// Sessions of the last day with a driver's tag that no order has (their start event was
    /// lost, or csms restarted before following it) become orders as their start would have.
    async fn adopt_orphans(&self, watermark: &AtomicI64) -> Result<(), OrderError> {
        let store = &self.inner.store;
        if watermark.load(Ordering::Relaxed) < 0 {
            watermark.store((store.last_transaction_id().await? - ORPHAN_WINDOW).max(0), Ordering::Relaxed);
        }
        let now = Utc::now();
        let after = watermark.load(Ordering::Relaxed);
        for orphan in store.transactions_without_order(after, now - LOOK_BACK, SWEEP_BATCH).await? {
            // Too recent: its start event may still be on its way.
            if orphan.started_at > now - self.adopt_after() {
                break;
            }
            let place = (orphan.evse_id, orphan.connector_id);
            self.started(orphan.id, &orphan.charger_id, place, orphan.id_tag.as_ref(), None, orphan.started_at).await?;
            watermark.store(orphan.id, Ordering::Relaxed);
            if orphan.status != ACTIVE
                && let Some(adopted) = store.order_of_transaction(orphan.id).await?
            {
                self.complete(&adopted).await?;
            }
        }
        Ok(())
    }

    fn adopt_after(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.inner.settings.adopt_after()).unwrap_or(chrono::Duration::MAX)
    }

    /// A charging order: completed if its transaction ended unheard; a prepaid one stopped when
    /// its money ran out; its running cost sent to a 2.0.1 charger. Commands go in tasks of their
    /// own. Answers what a postpaid (or card) session has cost so far, which the driver's balance
    /// holds together with their other such sessions (see `hold_credit`).
    async fn watch_charging(&self, found: &Order, head: &Transaction) -> Result<Option<Fen>, OrderError> {
        if head.status != ACTIVE {
            return self.complete(found).await.map(|()| None);
        }
        let Some(live) = self.live_reading_of(found, head).await else { return Ok(None) };
        let cost = live.cost.as_deref().and_then(|c| Decimal::from_str(c).ok());
        let cost_fen = cost.map(|cost| to_fen(cost, "cost").unwrap_or(Fen(i64::MAX)));
        self.stop_at_limits(found, &live, cost_fen);
        let (Some(cost), Some(cost_fen)) = (cost, cost_fen) else { return Ok(None) };
        let prepaid = found.pay_mode == PayMode::Prepaid;
        if prepaid && cost_fen >= found.paid_fen.saturating_sub(found.refunded_fen) {
            self.stop_for(found, "the order's money ran out", false);
        }
        if let Some(charger_transaction_id) = head.charger_transaction_id.clone() {
            let due = self.inner.costs_sent.get(&found.order_no).is_none_or(|sent| {
                sent.1 != cost_fen && sent.0.elapsed() >= self.inner.settings.cost_update_interval()
            });
            if due {
                self.inner.costs_sent.insert(found.order_no.clone(), (Instant::now(), cost_fen));
                let (commands, charger, order_no) =
                    (self.inner.commands.clone(), found.charger_id.clone(), found.order_no.clone());
                tokio::spawn(async move {
                    if let Err(e) = commands.cost_updated(charger, charger_transaction_id, cost).await {
                        tracing::debug!(order = %order_no, error = %e, "CostUpdated not delivered");
                    }
                });
            }
        }
        Ok((!prepaid).then_some(cost_fen))
    }

    /// Stops a session that reached its driver's target or its station's most time per session
    /// (`live`: what it reads now, `cost`: what that costs).
    fn stop_at_limits(&self, found: &Order, live: &LiveReading, cost: Option<Fen>) {
        let progress = Progress {
            cost,
            energy_wh: live.energy_wh,
            elapsed_s: live.duration_s.unwrap_or(0),
            soc: live.soc.as_deref().and_then(|s| Decimal::from_str(s).ok()).and_then(|soc| soc.floor().to_i64()),
        };
        let target = found.limit.filter(|limit| limit.reached(&progress)).map(|_| "the driver's target is reached");
        let time = found
            .session_max_time_s
            .filter(|max| progress.elapsed_s >= *max)
            .map(|_| "the station's most time per session is reached");
        if let Some(why) = target.or(time) {
            self.stop_for(found, why, true);
        }
    }

    /// Asks the charger to stop an order (`why`: its money ran out, or with `limit` a limit was
    /// reached — noted on the order once, and told to the driver), unless asked lately.
    pub(super) fn stop_for(&self, found: &Order, why: &'static str, limit: bool) {
        let recently = self.inner.stops_sent.get(&found.order_no).is_some_and(|at| at.elapsed() < STOP_AGAIN_AFTER);
        if recently {
            return;
        }
        self.inner.stops_sent.insert(found.order_no.clone(), Instant::now());
        tracing::info!(order = %found.order_no, why, "stopping it");
        let (orders, order) = (self.clone(), found.clone());
        tokio::spawn(async move {
            if limit && order.limit_reached_at.is_none() {
                let change = Transition {
                    limit_reached_at: Some(Utc::now()),
                    ..Transition::new(OrderStatus::Charging, &[OrderStatus::Charging])
                };
                match orders.transition(&order.order_no, change).await {
                    Ok(Some(noted)) => orders.publish("order.limit_reached", &noted),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(order = %order.order_no, error = %e, "noting a limit reached failed"),
                }
            }
            if let Err(e) = orders.remote_stop(&order).await {
                tracing::warn!(order = %order.order_no, error = %e, why, "stopping an order failed");
            }
        });
    }

    /// A completed order awaiting its occupancy decision: billed once its connector is freed (see
    /// [`freed_at`]); a day without that (a charger gone silent) bills nothing, said in the log.
    async fn freed(&self, found: &Order) -> Result<(), OrderError> {
        let stopped = found.stopped_at.unwrap_or(found.created_at);
        let connectors = self.inner.store.connectors(&found.charger_id).await?;
        let place = (found.evse_id, found.connector_id);
        let next = self.inner.store.next_start_on(&found.charger_id, place, stopped, found.transaction_id).await?;
        if let Some(at) = freed_at(found, &connectors, next) {
            return self.bill_occupancy(found, at).await;
        }
        if found.completed_at.is_some_and(|done| done < Utc::now() - LOOK_BACK) {
            tracing::warn!(order = %found.order_no, "the connector never reported free within a day: no occupancy fee");
            return self.bill_occupancy(found, stopped).await;
        }
        Ok(())
    }
}

/// When a completed order's connector was freed, if it was: it reported Available — received
/// after the order was made (an Available from before, however the charger's clock dates it, is
/// not this session's end) and dated since the session began — or the next session on it began
/// (`next`); never before the order stopped.
pub(super) fn freed_at(order: &Order, connectors: &[Connector], next: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let stopped = order.stopped_at.unwrap_or(order.created_at);
    let began = order.started_at.unwrap_or(order.created_at);
    let available = connectors
        .iter()
        .find(|c| {
            c.evse_id == order.evse_id
                && c.connector_id == order.connector_id
                && c.status == "Available"
                && c.status_at >= began
                && c.updated_at >= order.created_at
        })
        .map(|connector| connector.status_at.max(stopped));
    available.into_iter().chain(next).min()
}

#[cfg(test)]
#[path = "sweep_tests.rs"]
mod tests;
