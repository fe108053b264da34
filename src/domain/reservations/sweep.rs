//! The reservations' sweep (run with the orders' sweep, on the node holding its lease):
//! reservations past their time run out — the driver did not come, the fee is kept, the pile
//! expires its own hold — and the fee of a used one is decided once its order says where it goes.

use super::Reservations;
use super::records::{FeeStatus, HeldFee, ReservationStatus};
use chrono::Utc;

/// How many reservations one sweep looks at, of each kind.
const SWEEP_BATCH: u64 = 1_000;

impl Reservations {
    /// One pass: expires what ran out, decides the fees their orders settled.
    pub async fn sweep(&self) {
        match self.inner.store.reservations_due(Utc::now(), SWEEP_BATCH).await {
            Ok(due) => {
                for found in due {
                    if let Err(e) = self.end(&found, ReservationStatus::Expired, FeeStatus::Kept, None).await {
                        tracing::warn!(reservation = found.id, error = %e, "expiring a reservation failed");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the reservations due failed"),
        }
        match self.inner.store.held_fees(SWEEP_BATCH).await {
            Ok(held) => {
                for fee in held {
                    let Some(to) = fee_decision(&fee) else { continue };
                    let id = fee.reservation.id;
                    match self.inner.store.settle_reservation_fee(id, to, Utc::now()).await {
                        Ok(Some(settled)) => {
                            // Its order never charged: an OCPP pile still holds the connector
                            // for the driver's tag until it runs out; let it go now.
                            if to != FeeStatus::Credited {
                                self.release_on_pile(&settled, "csms".to_owned());
                            }
                            self.publish("reservation.fee_settled", &settled);
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!(reservation = id, error = %e, "settling a reservation's fee failed"),
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading the reservations' held fees failed"),
        }
    }
}

/// Where a used reservation's held fee goes, once its order says: back to the balance toward the
/// charge once the session started; kept when the driver gave the order up (or it is gone);
/// refunded when the pile would not start it; undecided while the order waits to start.
pub(super) fn fee_decision(held: &HeldFee) -> Option<FeeStatus> {
    if held.started {
        return Some(FeeStatus::Credited);
    }
    match held.order_status.as_deref() {
        Some("CANCELLED") | None => Some(FeeStatus::Kept),
        Some("FAILED") => Some(FeeStatus::Refunded),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ChargerId, IdTag};
    use crate::domain::ledger::money::Fen;
    use crate::domain::reservations::Reservation;

    fn held(order_status: Option<&str>, started: bool) -> HeldFee {
        let reservation = Reservation {
            id: 1,
            user_id: 7,
            charger_id: ChargerId::parse("CP-1").unwrap(),
            evse_id: 0,
            connector_id: 1,
            id_tag: IdTag::parse("TAG-1").unwrap(),
            status: ReservationStatus::Used,
            fee: Fen(500),
            fee_status: FeeStatus::Held,
            order_no: None,
            ended_by: None,
            expires_at: Utc::now(),
            created_at: Utc::now(),
            ended_at: None,
        };
        HeldFee { reservation, order_status: order_status.map(str::to_owned), started }
    }

    #[test]
    fn a_used_reservations_fee_goes_toward_the_charge_once_it_started_and_is_kept_or_refunded_by_how_the_order_ended() {
        assert_eq!(fee_decision(&held(Some("CHARGING"), true)), Some(FeeStatus::Credited));
        assert_eq!(fee_decision(&held(Some("COMPLETED"), true)), Some(FeeStatus::Credited));
        assert_eq!(fee_decision(&held(Some("CANCELLED"), false)), Some(FeeStatus::Kept));
        assert_eq!(fee_decision(&held(None, false)), Some(FeeStatus::Kept));
        assert_eq!(fee_decision(&held(Some("FAILED"), false)), Some(FeeStatus::Refunded));
        for waiting in ["PENDING_PAYMENT", "READY", "STARTING"] {
            assert_eq!(fee_decision(&held(Some(waiting), false)), None, "{waiting}");
        }
    }
}
