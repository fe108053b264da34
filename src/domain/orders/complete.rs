//! A finished session's order: billed from its meter register and settled, or — when the
//! register cannot be believed, or the bill is above `orders.review_above` — set aside in
//! `REVIEW` with a `meter_anomaly` alarm, until an operator settles it with the energy to bill.

use super::actions::{discount_of, priced};
use super::billing::{Metering, SessionBill, reviewed_bill, session_bill};
use super::records::{Completion, MoneyRead, ReviewHold, Settled, ToBill};
use super::settle::{Numbers, plan};
use super::{OrderError, OrderStatus, OrderView, Orders};
use crate::domain::chargers::records::OperationRecord;
use crate::domain::charging::ACTIVE;
use crate::domain::charging::metering::ReviewReason;
use crate::domain::charging::records::Transaction;
use crate::domain::ids::OrderNo;
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::to_fen;
use crate::domain::monitoring::rules::AlarmKind;
use crate::domain::orders::order::Order;
use crate::domain::payments::refund_routes::{RefundError, Refundable};
use crate::domain::tariffs::Tariff;
use crate::domain::units::Wh;
use chrono::Utc;

/// An operator's settlement of an order in review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDecision {
    /// The energy to bill.
    pub energy_wh: Wh,
    pub reason: String,
    /// Who decided.
    pub actor: String,
}

impl Orders {
    /// Bills a charging order whose transaction ended and settles it; nothing while the
    /// transaction is still open or once the order is completed — also when `found` was read
    /// before another settlement of it (the sweep's, the charger's stop replayed) committed.
    pub async fn complete(&self, found: &Order) -> Result<(), OrderError> {
        let Some(transaction_id) = found.transaction_id else { return Ok(()) };
        let Some(to_bill) = self.inner.store.transaction_to_bill(transaction_id).await? else {
            return Ok(());
        };
        self.complete_from(found, to_bill, None).await
    }

    /// The same, with what billing reads of its transaction read already, and the order's
    /// refundable payments when they were read with it.
    pub(super) async fn complete_from(
        &self,
        found: &Order,
        to_bill: ToBill,
        payments: Option<Vec<Refundable>>,
    ) -> Result<(), OrderError> {
        let (head, samples, rated_power_w) = to_bill;
        if head.status == ACTIVE {
            return Ok(());
        }
        let (tariff, zone) =
            priced(found).ok_or_else(|| OrderError::Corrupt(found.order_no.to_string(), "its tariff".into()))?;

        let settings = &self.inner.settings;
        let discount = discount_of(found);
        let metering = Metering {
            tariff: &tariff,
            zone,
            rated_power_w,
            billed_location: &settings.billed_location,
            discount: discount.as_ref(),
        };
        let billed = session_bill(&head, &samples, &metering);
        let above_limit = to_fen(billed.bill.total, "bill").map_or(true, |fen| fen > Fen(settings.review_above));
        match billed.review.or(above_limit.then_some(ReviewReason::BillAboveLimit)) {
            Some(reason) => self.hold_for_review(found, &head, &billed, reason).await,
            None => {
                let from = vec![OrderStatus::Charging, OrderStatus::Starting];
                if self.settle_bill(found, &head, &tariff, (billed, payments), from, None).await?.is_none()
                    && let Some(now) = self.inner.store.order(&found.order_no).await?
                    && now.status == OrderStatus::Completed
                {
                    // Completed meanwhile from what was read before this stop (a stale close):
                    // billed again if its stop is not this one.
                    self.rebill(&now).await?;
                }
                Ok(())
            }
        }
    }

    /// Settles an order in review with the energy an operator decided, spread along the
    /// session's plausible readings; the decision is written to the operation log with the bill.
    pub async fn review(&self, order_no: &OrderNo, decision: ReviewDecision) -> Result<OrderView, OrderError> {
        let store = &self.inner.store;
        let found = store.order(order_no).await?.ok_or_else(|| OrderError::NotFound(order_no.to_string()))?;
        if found.status != OrderStatus::Review {
            return Err(OrderError::WrongState(found.status, "only an order in REVIEW is settled so"));
        }
        let corrupt = |what: &str| OrderError::Corrupt(found.order_no.to_string(), what.to_owned());
        let transaction_id = found.transaction_id.ok_or_else(|| corrupt("its transaction"))?;
        let (head, samples, rated_power_w) =
            store.transaction_to_bill(transaction_id).await?.ok_or_else(|| corrupt("its transaction"))?;
        let (tariff, zone) = priced(&found).ok_or_else(|| corrupt("its tariff"))?;
        let discount = discount_of(&found);
        let metering = Metering {
            tariff: &tariff,
            zone,
            rated_power_w,
            billed_location: &self.inner.settings.billed_location,
            discount: discount.as_ref(),
        };
        let billed = reviewed_bill(&head, &samples, &metering, decision.energy_wh);
        if to_fen(billed.bill.total, "bill").is_err() {
            let message = format!(
                "{} Wh would bill {}: more than an order can take",
                decision.energy_wh.get(),
                billed.bill.total
            );
            return Err(OrderError::Invalid { field: "energyWh", message });
        }
        let operation = OperationRecord {
            at: Utc::now(),
            actor: decision.actor.clone(),
            charger_id: Some(found.charger_id.clone()),
            action: "OrderReview".to_owned(),
            payload: serde_json::json!({
                "orderNo": found.order_no,
                "energyWh": decision.energy_wh,
                "reason": decision.reason,
                "reviewReason": found.review_reason,
            }),
            outcome: "Applied",
            response: None,
            error: None,
            duration_ms: 0,
            node: None,
        };
        let from = vec![OrderStatus::Review];
        let Some(settled) = self.settle_bill(&found, &head, &tariff, (billed, None), from, Some(operation)).await?
        else {
            return Err(OrderError::WrongState(OrderStatus::Completed, "settled meanwhile"));
        };
        if store.orders_in_review_on(&found.charger_id).await? == 0
            && let Err(e) = self.inner.alarms.clear(&found.charger_id, AlarmKind::MeterAnomaly).await
        {
            tracing::warn!(charger = %found.charger_id, error = %e, "clearing the meter anomaly alarm failed");
        }
        Ok(OrderView::new(settled, None))
    }

    /// Completes the order with `billed` and settles it against what it paid, from `from`:
    /// decided from the order's money as read now (and its refundable payments, when they were
    /// read with `found`), and decided again when a payment or a refund changed it in between.
    async fn settle_bill(
        &self,
        found: &Order,
        head: &Transaction,
        tariff: &Tariff,
        (billed, mut payments_read): (SessionBill, Option<Vec<Refundable>>),
        from: Vec<OrderStatus>,
        operation: Option<OperationRecord>,
    ) -> Result<Option<Order>, OrderError> {
        let fen = |d| to_fen(d, "bill").map_err(|e| OrderError::Corrupt(found.order_no.to_string(), e.to_string()));
        let total_fen = fen(billed.bill.total)?;
        let stopped_at = head.stopped_at.unwrap_or_else(Utc::now);
        let chose = found.refund_to;
        let mut current = found.clone();
        for _ in 0..super::records::SETTLE_ATTEMPTS {
            let payments = match payments_read.take() {
                Some(read_with_the_order) => read_with_the_order,
                None => self.inner.store.refundable_payments(&current.order_no).await?,
            };
            let read = MoneyRead::of(&current);
            let now = Utc::now();
            let (refund_no, payment_no) = (super::number::new_number('R', now), super::number::new_payment_no(now));
            let numbers = Numbers { refund_no: &refund_no, payment_no: &payment_no };
            let planned = match plan(read.kept_fen(), total_fen, &payments, chose, numbers) {
                Ok(planned) => planned,
                Err(why) => match self.read_again(&current, why).await? {
                    Some(again) => {
                        current = again;
                        continue;
                    }
                    None => return Ok(None),
                },
            };
            let done = Completion {
                order_no: current.order_no.clone(),
                from: from.clone(),
                user_id: current.user_id,
                energy_wh: billed.energy_wh,
                energy_fee_fen: fen(billed.bill.energy_fee)?,
                service_fee_fen: fen(billed.bill.service_fee)?,
                occupancy_fee_fen: tariff.occupancy.is_none().then_some(Fen::ZERO),
                total_fen,
                lines: serde_json::to_string(&billed.bill).unwrap_or_default(),
                anomalies: serde_json::to_string(&billed.anomalies).unwrap_or_default(),
                start_soc: billed.start_soc,
                end_soc: billed.end_soc,
                stop_reason: super::status::order_stop_reason(
                    head.stop_reason.as_deref(),
                    current.limit_reached_at.is_some(),
                )
                .to_owned(),
                stopped_at,
                charging_ended_at: stopped_at,
                operation: operation.clone(),
                read,
                payment_status: planned.payment_status,
                refunds: planned.refunds,
                collection: planned.collection,
            };
            match self.inner.store.complete_order(done).await? {
                Settled::Done(completed) => {
                    self.release(&completed).await;
                    self.publish("order.completed", &completed);
                    return Ok(Some(*completed));
                }
                Settled::NotInState => return Ok(None),
                Settled::MoneyChanged => {
                    let Some(again) = self.inner.store.order(&current.order_no).await? else { return Ok(None) };
                    current = again;
                }
            }
        }
        Err(OrderError::Busy(found.order_no.to_string()))
    }

    /// The order as it is now, when a settlement decided from `read` could not be planned
    /// against its payments, read after it (`why`: more to give back than they have left): when
    /// the order's state or money moved in between — another settlement of it committed between
    /// the two reads (the sweep and the charger's replayed stop after a restart), or a refund — it
    /// is decided again from the order as it is now (none: the order is gone); when nothing
    /// moved, the order and its payments disagree for good, and the order is corrupt.
    pub(super) async fn read_again(&self, read: &Order, why: RefundError) -> Result<Option<Order>, OrderError> {
        let Some(now) = self.inner.store.order(&read.order_no).await? else { return Ok(None) };
        if money_moved(read, &now) {
            return Ok(Some(now));
        }
        Err(OrderError::Corrupt(read.order_no.to_string(), why.to_string()))
    }

    /// Sets the order aside for an operator: its user and connector free, nothing beyond what
    /// it paid taken, `meter_anomaly` raised for the pile.
    async fn hold_for_review(
        &self,
        found: &Order,
        head: &Transaction,
        billed: &SessionBill,
        reason: ReviewReason,
    ) -> Result<(), OrderError> {
        let register = head.meter_start_wh.zip(head.meter_stop_wh).and_then(|(a, b)| b.checked_sub(a));
        let hold = ReviewHold {
            order_no: found.order_no.clone(),
            reason,
            energy_wh: register.filter(|wh| *wh >= Wh::ZERO),
            anomalies: serde_json::to_string(&billed.anomalies).unwrap_or_default(),
            start_soc: billed.start_soc,
            end_soc: billed.end_soc,
            stop_reason: super::status::order_stop_reason(
                head.stop_reason.as_deref(),
                found.limit_reached_at.is_some(),
            )
            .to_owned(),
            stopped_at: head.stopped_at.unwrap_or_else(Utc::now),
        };
        let Some(held) = self.inner.store.hold_for_review(hold).await? else { return Ok(()) };
        tracing::warn!(order = %held.order_no, reason = reason.as_str(), "an order's meter register needs an operator: in review");
        self.release(&held).await;
        self.publish("order.review", &held);
        let message = format!("order {} waits for review: {}", held.order_no, reason.as_str());
        let raised =
            self.inner.alarms.raise(&held.charger_id, AlarmKind::MeterAnomaly, message, held.order_no.to_string());
        if let Err(e) = raised.await {
            tracing::warn!(order = %held.order_no, error = %e, "raising the meter anomaly alarm failed");
        }
        Ok(())
    }
}

/// Whether an order's state or money differs between two reads of it.
fn money_moved(read: &Order, now: &Order) -> bool {
    let money = |o: &Order| (o.status, o.payment_status, o.paid_fen, o.refunded_fen, o.total_fen);
    money(read) != money(now)
}
