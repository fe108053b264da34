//! What the store is asked to do with payments and refunds.

use crate::domain::ids::{OrderNo, PaymentNo};
use crate::domain::ledger::money::Fen;
use crate::domain::payments::stored::Payment;
use crate::domain::payments::stored::Refund;
use crate::domain::stored_text::stored_text;
use chrono::{DateTime, Utc};

pub use super::method::{Method, Methods, ProviderName};

/// What a payment is for, as stored.
pub const FOR_ORDER: &str = "order";
pub const FOR_TOP_UP: &str = "top_up";

/// Where a refund goes, as stored: back to the method that paid, or to the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Original,
    Balance,
}

stored_text!(Destination { Original => "original", Balance => "balance" });

/// A payment to open at a provider, stored `PENDING` before the provider is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProviderPayment {
    pub payment_no: PaymentNo,
    pub user_id: i64,
    /// The order it pays; none for a top-up.
    pub order_no: Option<OrderNo>,
    pub method: Method,
    pub amount_fen: Fen,
    /// Until when the payer may pay at the provider (the window it is told).
    pub expires_at: DateTime<Utc>,
}

/// Where a `PENDING` refund stands at its provider (`refunds.provider_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// To be sent (nothing stored).
    ToSend,
    /// Sent, its answer unread (unreachable, 5xx, a system error): asked after before it is
    /// sent again, so that a refund the provider took is not asked for twice.
    Sent,
    /// Taken, its result to come.
    Processing,
    /// Taken, stuck at the provider until the operator acts there (WeChat `ABNORMAL`).
    Abnormal,
}

impl Stage {
    pub const fn as_str(self) -> Option<&'static str> {
        match self {
            Stage::ToSend => None,
            Stage::Sent => Some("SENT"),
            Stage::Processing => Some("PROCESSING"),
            Stage::Abnormal => Some("ABNORMAL"),
        }
    }

    pub fn parse(stored: Option<&str>) -> Self {
        match stored {
            Some("SENT") => Stage::Sent,
            Some("PROCESSING") => Stage::Processing,
            Some("ABNORMAL") => Stage::Abnormal,
            _ => Stage::ToSend,
        }
    }
}

/// A pending refund tried and not finished: where it stands now, when it is tried again, and
/// what this try did (sent it, asked after it, or both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLater {
    pub refund_no: String,
    pub stage: Stage,
    pub next: DateTime<Utc>,
    pub sent: bool,
    pub asked: bool,
}

/// What applying a provider's "paid" did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaidOutcome {
    /// The payment succeeded now: a top-up credited, or an order paid.
    Applied(Payment),
    /// It had succeeded already (a repeated notification): nothing changed.
    Again(Payment),
    /// It succeeded, but its order owed it no more (paid otherwise, cancelled): the whole amount
    /// is being refunded to the payer by `refund`.
    Unwanted { payment: Payment, refund: Box<Refund> },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refunds_stage_is_stored_and_read_back() {
        for stage in [Stage::ToSend, Stage::Sent, Stage::Processing, Stage::Abnormal] {
            assert_eq!(Stage::parse(stage.as_str()), stage);
        }
    }
}

/// One exchange with a provider, as kept for operators: what was asked, what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCall {
    pub id: i64,
    pub provider: String,
    pub operation: String,
    pub payment_no: Option<String>,
    pub refund_no: Option<String>,
    pub request: String,
    pub status: Option<i32>,
    pub response: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub elapsed_ms: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
