//! `payments`: one row per payment attempt (an order's or a top-up). Money in whole fen.

use sea_orm::entity::prelude::*;

/// A payment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
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
    #[sea_orm(unique)]
    pub provider_txn_id: Option<String>,
    pub pay_url: Option<String>,
    pub paid_at: Option<DateTimeUtc>,
    /// Until when the payer may pay at the provider (the window sent when it was opened).
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
