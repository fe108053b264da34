//! An order billed from a stale close (its transaction left open when a new one started on the
//! connector, closed at its last reading) and then really stopped, its stop replayed by the
//! charger: billed again from the real register. The first bill is kept as a revision, the
//! difference is collected from the balance or given back as a settlement would, and the driver
//! is told (`order.rebilled`).

use super::actions::{discount_of, priced};
use super::billing::{Metering, session_bill};
use super::records::SETTLE_ATTEMPTS;
use super::records::{BillRead, MoneyRead, Rebill, Settled};
use super::settle::{Numbers, kept_for_rebill, plan};
use super::{OrderError, Orders, PaymentStatus};
use crate::domain::charging::COMPLETED;
use crate::domain::ledger::money::Fen;
use crate::domain::ledger::to_fen;
use crate::domain::monitoring::rules::AlarmKind;
use crate::domain::orders::order::Order;
use chrono::Utc;
use serde_json::{Value, json};

impl Orders {
    /// Bills a completed order again when its transaction's stop is not the one it was billed
    /// from; nothing otherwise (a repeated stop, an order billed from this stop already).
    pub(super) async fn rebill(&self, found: &Order) -> Result<(), OrderError> {
        let Some(transaction_id) = found.transaction_id else { return Ok(()) };
        let Some((head, samples, rated_power_w)) = self.inner.store.transaction_to_bill(transaction_id).await? else {
            return Ok(());
        };
        let stopped_at = match head.stopped_at {
            Some(at) if head.status == COMPLETED && found.stopped_at != Some(at) => at,
            _ => return Ok(()),
        };
        let corrupt = |what: String| OrderError::Corrupt(found.order_no.to_string(), what);
        let (tariff, zone) = priced(found).ok_or_else(|| corrupt("its tariff".into()))?;
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
        if let Some(reason) = billed.review {
            // Its real stop cannot be believed either: the first bill stands until an operator looks.
            tracing::warn!(order = %found.order_no, reason = reason.as_str(), "an order's real stop cannot be billed again by itself");
            let message = format!(
                "order {} was billed from a stale close; its real stop needs review: {}",
                found.order_no,
                reason.as_str()
            );
            let raised = self.inner.alarms.raise(
                &found.charger_id,
                AlarmKind::MeterAnomaly,
                message,
                found.order_no.to_string(),
            );
            if let Err(e) = raised.await {
                tracing::warn!(order = %found.order_no, error = %e, "raising the meter anomaly alarm failed");
            }
            return Ok(());
        }
        let fen = |d| to_fen(d, "bill").map_err(|e| corrupt(e.to_string()));
        let (energy_fee_fen, service_fee_fen) = (fen(billed.bill.energy_fee)?, fen(billed.bill.service_fee)?);
        let chose = found.refund_to;
        let mut current = found.clone();
        for _ in 0..SETTLE_ATTEMPTS {
            // The occupancy line, if billed already (also meanwhile), stays as it is.
            let occupancy_fen = current.occupancy_fee_fen.unwrap_or(Fen::ZERO);
            let mut bill = billed.bill.clone();
            let before: Option<crate::domain::tariffs::Bill> =
                current.lines.as_deref().and_then(|t| serde_json::from_str(t).ok());
            if let Some(line) = before.and_then(|b| b.occupancy) {
                bill = bill.with_occupancy(Some(line));
            }
            // Each a bill's amount, far inside `i64`: a sum that does not fit is a corrupt bill.
            let total_fen = energy_fee_fen
                .checked_add(service_fee_fen)
                .and_then(|sum| sum.checked_add(occupancy_fen))
                .ok_or_else(|| corrupt("the bill's total does not fit".to_owned()))?;
            let read = MoneyRead::of(&current);
            let payments = self.inner.store.refundable_payments(&current.order_no).await?;
            // The difference is what is settled: a paid order owes or gets back only that.
            let paid = current.payment_status == PaymentStatus::Paid;
            let kept = kept_for_rebill(read, paid, current.total_fen.unwrap_or(Fen::ZERO));
            let now = Utc::now();
            let (refund_no, payment_no) = (super::number::new_number('R', now), super::number::new_payment_no(now));
            let numbers = Numbers { refund_no: &refund_no, payment_no: &payment_no };
            let planned = match plan(kept, total_fen, &payments, chose, numbers) {
                Ok(planned) => planned,
                Err(why) => match self.read_again(&current, why).await? {
                    Some(again) => {
                        current = again;
                        continue;
                    }
                    None => return Ok(()),
                },
            };
            let rebill = Rebill {
                order_no: current.order_no.clone(),
                user_id: current.user_id,
                revisions_read: current.revisions.clone(),
                revisions: revisions_after(&current),
                energy_wh: billed.energy_wh,
                energy_fee_fen,
                service_fee_fen,
                total_fen,
                lines: serde_json::to_string(&bill).unwrap_or_default(),
                anomalies: serde_json::to_string(&billed.anomalies).unwrap_or_default(),
                end_soc: billed.end_soc,
                stop_reason: super::status::order_stop_reason(
                    head.stop_reason.as_deref(),
                    current.limit_reached_at.is_some(),
                )
                .to_owned(),
                stopped_at,
                read,
                bill_read: BillRead::of(&current),
                payment_status: planned.payment_status,
                refunds: planned.refunds,
                collection: planned.collection,
            };
            match self.inner.store.rebill_order(rebill).await? {
                Settled::Done(rebilled) => {
                    tracing::info!(order = %rebilled.order_no, "an order billed from a stale close was billed again from its real stop");
                    self.publish("order.rebilled", &rebilled);
                    return Ok(());
                }
                Settled::NotInState => return Ok(()),
                Settled::MoneyChanged => match self.inner.store.order(&current.order_no).await? {
                    // Billed again meanwhile (its stop is this one now): nothing more to do.
                    Some(again) if again.stopped_at == Some(stopped_at) => return Ok(()),
                    Some(again) => current = again,
                    None => return Ok(()),
                },
            }
        }
        Err(OrderError::Busy(found.order_no.to_string()))
    }
}

/// The order's revisions with its bill as it stands now appended (oldest first).
fn revisions_after(order: &Order) -> String {
    let mut revisions: Vec<Value> =
        order.revisions.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
    let lines: Value = order.lines.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
    revisions.push(json!({
        "energyWh": order.energy_wh,
        "energyFee": order.energy_fee_fen.map(|fen| fen.to_string()),
        "serviceFee": order.service_fee_fen.map(|fen| fen.to_string()),
        "totalAmount": order.total_fen.map(|fen| fen.to_string()),
        "lines": lines.get("lines").cloned().unwrap_or(Value::Null),
        "stoppedAt": order.stopped_at,
        "revisedAt": Utc::now(),
    }));
    Value::Array(revisions).to_string()
}
