//! Settlement (多退少补), decided without I/O: what goes back to the driver, what is collected,
//! and whether the order ends paid.

use super::status::PaymentStatus;

/// What settling an order moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// Given back from the order's payment (a prepaid amount larger than the bill).
    pub refund_fen: i64,
    /// Taken from the balance now (a postpaid bill, or what a prepaid amount did not cover).
    pub collect_fen: i64,
    /// The order's payment status when the collection succeeds; when the balance turns out too
    /// low for it, nothing is collected and the order is `Unpaid`.
    pub status: PaymentStatus,
}

/// Settles a bill of `total_fen` against `paid_fen` already paid for the order: prepaid and
/// postpaid alike, once the money paid is known (a postpaid order has paid nothing).
pub fn settle(paid_fen: i64, total_fen: i64) -> Settlement {
    if paid_fen >= total_fen {
        Settlement { refund_fen: paid_fen - total_fen, collect_fen: 0, status: PaymentStatus::Paid }
    } else {
        Settlement { refund_fen: 0, collect_fen: total_fen - paid_fen, status: PaymentStatus::Paid }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_prepaid_amount_above_the_bill_is_given_back() {
        let s = settle(5000, 1234);
        assert_eq!(s, Settlement { refund_fen: 3766, collect_fen: 0, status: PaymentStatus::Paid });
    }

    #[test]
    fn a_postpaid_bill_is_collected_whole() {
        let s = settle(0, 1234);
        assert_eq!(s, Settlement { refund_fen: 0, collect_fen: 1234, status: PaymentStatus::Paid });
    }

    proptest! {
        #[test]
        fn paid_minus_refund_plus_collected_is_the_bill(paid in 0i64..10_000_000, total in 0i64..10_000_000) {
            let s = settle(paid, total);
            prop_assert!(s.refund_fen >= 0 && s.collect_fen >= 0);
            prop_assert!(s.refund_fen == 0 || s.collect_fen == 0);
            prop_assert_eq!(paid - s.refund_fen + s.collect_fen, total);
        }
    }
}
