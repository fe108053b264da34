//! `refunds`: money given back from a payment. Money in whole fen.

use sea_orm::entity::prelude::*;

/// A refund.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
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
    pub next_attempt_at: Option<DateTimeUtc>,
    /// Where a `PENDING` refund stands at its provider: none while it is to be sent, `SENT`
    /// (sent, its answer unread), `PROCESSING` or `ABNORMAL`.
    pub provider_status: Option<String>,
    /// Times a refund back to a provider was asked after.
    pub queries: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The operator who made it; none for a settlement's, a cancellation's or a late payment's.
    pub actor: Option<String>,
    /// Made once its order was settled (its order kept its bill before; this is a gift).
    pub after_settlement: bool,
    /// Changed since the statistics' rollups last counted it (see migration 000021).
    pub stats_due: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
