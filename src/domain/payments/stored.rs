//! Payments and refunds as stored.

use chrono::{DateTime, Utc};

/// A payment: a top-up or an order's, by balance or at a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub payment_no: String,
    pub user_id: i64,
    pub order_no: Option<String>,
    /// `order` or `top_up`.
    pub purpose: String,
    pub method: String,
    pub amount_fen: i64,
    pub refunded_fen: i64,
    /// `PENDING`, `SUCCEEDED`, `FAILED` or `CLOSED`.
    pub status: String,
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
    pub payment_no: String,
    pub amount_fen: i64,
    /// `original` or `balance`.
    pub destination: String,
    /// `PENDING`, `SUCCEEDED` or `FAILED` (the provider did not refund it: its money went to the
    /// balance instead, `destination` then `balance`).
    pub status: String,
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
