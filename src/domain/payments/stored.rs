//! Payments and refunds as stored.

use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::money::Fen;
use crate::domain::stored_text::stored_text;
use chrono::{DateTime, Utc};

/// A payment: a top-up or an order's, by balance or at a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub payment_no: PaymentNo,
    pub user_id: i64,
    pub order_no: Option<OrderNo>,
    /// `order` or `top_up`.
    pub purpose: String,
    pub method: String,
    pub amount_fen: Fen,
    pub refunded_fen: Fen,
    pub status: PaymentState,
    pub provider_txn_id: Option<String>,
    pub pay_url: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    /// Until when the payer may pay at the provider (the window sent when it was opened).
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A refund of (part of) a payment, to where it came from or to the balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: i64,
    pub refund_no: String,
    pub payment_no: PaymentNo,
    pub amount_fen: Fen,
    /// `original` or `balance`.
    pub destination: String,
    pub status: RefundState,
    pub reason: Option<String>,
    /// Times a refund back to a provider was sent.
    pub attempts: i32,
    /// When a `PENDING` refund is sent again, or asked after again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Where a `PENDING` refund stands at its provider: none while it is to be sent, `SENT`
    /// (sent, its answer unread), `PROCESSING` or `ABNORMAL`.
    pub provider_status: Option<String>,
    /// Times a refund back to a provider was asked after.
    pub queries: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The operator who made it; none for a settlement's, a cancellation's or a late payment's.
    pub actor: Option<String>,
    /// Made once its order was settled (its order kept its bill before; this is a gift).
    pub after_settlement: bool,
}

/// Where a payment is; stored as its `as_str` text in `payments.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentState {
    /// Opened at its provider, not paid yet.
    Pending,
    /// Paid (a balance payment is at once).
    Succeeded,
    /// The provider refused it, or it could not be opened.
    Failed,
    /// Closed unpaid: its window passed, or the provider closed it.
    Closed,
}

stored_text!(PaymentState { Pending => "PENDING", Succeeded => "SUCCEEDED", Failed => "FAILED", Closed => "CLOSED" });

/// Where a refund is; stored as its `as_str` text in `refunds.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundState {
    /// To be sent to its provider, or sent and its result to come (see `records::Stage`).
    Pending,
    /// Refunded (to the balance at once).
    Succeeded,
    /// The provider did not refund it: its money went to the balance instead (`destination`
    /// then `balance`).
    Failed,
}

stored_text!(RefundState { Pending => "PENDING", Succeeded => "SUCCEEDED", Failed => "FAILED" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_payment_and_refund_state_reads_back_from_its_stored_text_and_no_other_text_names_one() {
        use PaymentState as P;
        for state in [P::Pending, P::Succeeded, P::Failed, P::Closed] {
            assert_eq!(PaymentState::parse(state.as_str()), Some(state));
            assert!(state == state.as_str());
        }
        for state in [RefundState::Pending, RefundState::Succeeded, RefundState::Failed] {
            assert_eq!(RefundState::parse(state.as_str()), Some(state));
            assert!(state == state.as_str());
        }
        assert_eq!(RefundState::parse("CLOSED"), None, "a refund is never closed");
        for other in ["pending", "", "PAID"] {
            assert_eq!((PaymentState::parse(other), RefundState::parse(other)), (None, None), "{other:?}");
        }
    }
}
