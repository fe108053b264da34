//! Settlement (多退少补), decided without I/O: what goes back to the driver, what is collected,
//! and whether the order ends paid — as the parts the store executes: refunds spread over the
//! order's payments, a collection from the balance with the order's payment status either way.

use super::records::{Collection, MoneyRead};
use super::status::PaymentStatus;
use crate::domain::ids::PaymentNo;
use crate::domain::ledger::money::Fen;
use crate::domain::payments::records::Destination;
use crate::domain::payments::refund_routes::{RefundError, RefundPart, Refundable, spread};

/// What settling an order moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// Given back from the order's payment (a prepaid amount larger than the bill).
    pub refund_fen: Fen,
    /// Taken from the balance now (a postpaid bill, or what a prepaid amount did not cover).
    pub collect_fen: Fen,
    /// The order's payment status when the collection succeeds; when the balance turns out too
    /// low for it, nothing is collected and the order is `Unpaid`.
    pub status: PaymentStatus,
}

/// Settles a bill of `total_fen` against `paid_fen` already paid for the order: prepaid and
/// postpaid alike, once the money paid is known (a postpaid order has paid nothing). Both are an
/// order's amounts, far inside `i64` (see `MoneyRead::kept_fen`).
pub fn settle(paid_fen: Fen, total_fen: Fen) -> Settlement {
    if paid_fen >= total_fen {
        Settlement {
            refund_fen: paid_fen.saturating_sub(total_fen),
            collect_fen: Fen::ZERO,
            status: PaymentStatus::Paid,
        }
    } else {
        Settlement {
            refund_fen: Fen::ZERO,
            collect_fen: total_fen.saturating_sub(paid_fen),
            status: PaymentStatus::Paid,
        }
    }
}

/// What the store executes to settle an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub refunds: Vec<RefundPart>,
    pub collection: Option<Collection>,
    /// The order's payment status once settled (the collection's outcome decides, when there is one).
    pub payment_status: PaymentStatus,
}

/// Numbers for the refunds and the collecting payment a plan may make.
#[derive(Debug, Clone, Copy)]
pub struct Numbers<'a> {
    pub refund_no: &'a str,
    pub payment_no: &'a PaymentNo,
}

/// Plans settling a bill of `total_fen` against `kept_fen`, what the order keeps of what was paid
/// for it: a surplus given back from its `payments` (newest first) where the driver `chose`, a
/// shortfall collected from the balance (`UNPAID` when the balance cannot cover it).
pub fn plan(
    kept_fen: Fen,
    total_fen: Fen,
    payments: &[Refundable],
    chose: Destination,
    numbers: Numbers<'_>,
) -> Result<Plan, RefundError> {
    let settlement = settle(kept_fen, total_fen);
    let refunds = spread(settlement.refund_fen, payments, numbers.refund_no, chose)?;
    let collection = settlement.collect_fen.is_positive().then(|| Collection {
        payment_no: numbers.payment_no.clone(),
        amount_fen: settlement.collect_fen,
        if_taken: PaymentStatus::Paid,
        if_short: PaymentStatus::Unpaid,
    });
    Ok(Plan { refunds, collection, payment_status: settlement.status })
}

/// What a paid order billed again settles against: the bill it was paid for — a refund an
/// operator made since is a gift, not a part of the bill to settle again; an unpaid one, what it
/// keeps.
pub fn kept_for_rebill(read: MoneyRead, paid: bool, old_total_fen: Fen) -> Fen {
    if paid { old_total_fen } else { read.kept_fen() }
}

/// Plans ending an order before it charged: everything it kept given back (then `REFUNDED`).
pub fn give_back(
    read: MoneyRead,
    payments: &[Refundable],
    chose: Destination,
    refund_no: &str,
) -> Result<(Vec<RefundPart>, Option<PaymentStatus>), RefundError> {
    let kept = read.paid_fen.saturating_sub(read.refunded_fen);
    let refunds = spread(kept.max(Fen::ZERO), payments, refund_no, chose)?;
    Ok((refunds, kept.is_positive().then_some(PaymentStatus::Refunded)))
}

/// Plans collecting an occupancy fee of `fee_fen` from the balance for a completed order whose
/// bill was `total_fen` before it: paid when what it keeps covers its whole bill — the fee and any
/// part left unpaid before — either way the collection goes.
pub fn occupancy(read: MoneyRead, total_fen: Fen, fee_fen: Fen, payment_no: &PaymentNo) -> Option<Collection> {
    let kept = read.kept_fen();
    let after = total_fen.saturating_add(fee_fen);
    let status = |kept: Fen| if kept >= after { PaymentStatus::Paid } else { PaymentStatus::Unpaid };
    fee_fen.is_positive().then(|| Collection {
        payment_no: payment_no.clone(),
        amount_fen: fee_fen,
        if_taken: status(kept.saturating_add(fee_fen)),
        if_short: status(kept),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_prepaid_amount_above_the_bill_is_given_back() {
        let s = settle(Fen(5000), Fen(1234));
        assert_eq!(s, Settlement { refund_fen: Fen(3766), collect_fen: Fen(0), status: PaymentStatus::Paid });
    }

    #[test]
    fn a_postpaid_bill_is_collected_whole() {
        let s = settle(Fen(0), Fen(1234));
        assert_eq!(s, Settlement { refund_fen: Fen(0), collect_fen: Fen(1234), status: PaymentStatus::Paid });
    }

    fn balance_payment(no: &str, left_fen: i64) -> Refundable {
        Refundable {
            payment_no: number(no),
            method: crate::domain::payments::records::Method::Balance,
            purpose: "order".into(),
            left_fen: Fen(left_fen),
        }
    }

    fn number(no: &str) -> PaymentNo {
        PaymentNo::parse(no).unwrap_or_else(|e| panic!("{e}"))
    }

    static P9: std::sync::LazyLock<PaymentNo> = std::sync::LazyLock::new(|| number("P9"));
    static NUMBERS: std::sync::LazyLock<Numbers<'static>> =
        std::sync::LazyLock::new(|| Numbers { refund_no: "R1", payment_no: &P9 });

    #[test]
    fn a_settlement_reads_the_money_left_after_a_refund_made_while_charging() {
        // 50.00 prepaid, 30.00 of it refunded by an operator while charging: a bill of 45.00
        // collects 25.00, it does not give 5.00 back.
        let read = MoneyRead { paid_fen: Fen(5_000), refunded_fen: Fen(3_000), gift_fen: Fen(0) };
        let kept = read.paid_fen.saturating_sub(read.refunded_fen);
        let planned = plan(kept, Fen(4_500), &[balance_payment("P1", 2_000)], Destination::Original, *NUMBERS).unwrap();
        assert_eq!(planned.refunds, []);
        let collection = planned.collection.unwrap();
        assert_eq!(
            (collection.amount_fen.get(), collection.if_taken.as_str(), collection.if_short.as_str()),
            (2_500, "PAID", "UNPAID")
        );
    }

    #[test]
    fn a_surplus_is_given_back_where_the_driver_chose_and_an_ending_gives_back_everything() {
        let read = MoneyRead { paid_fen: Fen(5_000), refunded_fen: Fen(0), gift_fen: Fen(0) };
        let planned =
            plan(Fen(5_000), Fen(1_234), &[balance_payment("P1", 5_000)], Destination::Original, *NUMBERS).unwrap();
        assert_eq!((planned.refunds.len(), planned.refunds[0].amount_fen.get(), planned.collection), (1, 3_766, None));
        let (parts, status) = give_back(read, &[balance_payment("P1", 5_000)], Destination::Balance, "R2").unwrap();
        assert_eq!((parts[0].amount_fen.get(), status.map(|s| s.as_str())), (5_000, Some("REFUNDED")));
        let nothing = MoneyRead { paid_fen: Fen(0), refunded_fen: Fen(0), gift_fen: Fen(0) };
        assert_eq!(give_back(nothing, &[], Destination::Balance, "R3").unwrap(), (vec![], None));
    }

    #[test]
    fn a_paid_order_billed_again_settles_the_difference_and_keeps_an_operators_gift() {
        // Billed 6.00 and paid; an operator gave 2.00 back since; billed again at 10.00: 4.00
        // more, not 6.00.
        let read = MoneyRead { paid_fen: Fen(600), refunded_fen: Fen(200), gift_fen: Fen(0) };
        let kept = kept_for_rebill(read, true, Fen(600));
        let planned = plan(kept, Fen(1_000), &[], Destination::Original, *NUMBERS).unwrap();
        assert_eq!(planned.collection.map(|c| c.amount_fen.get()), Some(400));
        // Unpaid, it settles what it keeps against the new bill.
        assert_eq!(
            kept_for_rebill(MoneyRead { paid_fen: Fen(100), refunded_fen: Fen(0), gift_fen: Fen(0) }, false, Fen(600))
                .get(),
            100
        );
    }

    #[test]
    fn an_operators_gift_after_the_bill_is_not_owed_again_when_occupancy_is_billed() {
        // Paid 10.00, 2.00 given back as a gift since; a 3.00 occupancy fee taken: paid.
        let read = MoneyRead { paid_fen: Fen(1_000), refunded_fen: Fen(200), gift_fen: Fen(200) };
        assert_eq!(occupancy(read, Fen(1_000), Fen(300), &number("P2")).map(|c| c.if_taken.as_str()), Some("PAID"));
    }

    #[test]
    fn an_occupancy_fee_leaves_the_order_paid_only_when_everything_owed_is_covered() {
        let covered = MoneyRead { paid_fen: Fen(1_000), refunded_fen: Fen(0), gift_fen: Fen(0) };
        let fee = occupancy(covered, Fen(1_000), Fen(300), &number("P2")).unwrap();
        assert_eq!((fee.if_taken.as_str(), fee.if_short.as_str()), ("PAID", "UNPAID"));
        // 2.00 of the bill was never paid: even with the fee taken it is still owed.
        let short = MoneyRead { paid_fen: Fen(800), refunded_fen: Fen(0), gift_fen: Fen(0) };
        assert_eq!(occupancy(short, Fen(1_000), Fen(300), &number("P2")).map(|c| c.if_taken.as_str()), Some("UNPAID"));
        assert_eq!(occupancy(covered, Fen(1_000), Fen(0), &number("P2")), None);
    }

    proptest! {
        #[test]
        fn paid_minus_refund_plus_collected_is_the_bill(paid in 0i64..10_000_000, total in 0i64..10_000_000) {
            let s = settle(Fen(paid), Fen(total));
            let (refund_fen, collect_fen) = (s.refund_fen.get(), s.collect_fen.get());
            prop_assert!(refund_fen >= 0 && collect_fen >= 0);
            prop_assert!(refund_fen == 0 || collect_fen == 0);
            prop_assert_eq!(paid - refund_fen + collect_fen, total);
        }
    }
}
