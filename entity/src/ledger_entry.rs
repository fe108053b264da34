//! `ledger`: every change of a user's balance, written in the same transaction as the change.

use sea_orm::entity::prelude::*;

/// A ledger row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// Signed fen: a credit is positive.
    pub amount_fen: i64,
    pub balance_after_fen: i64,
    /// `top_up`, `payment`, `refund`, `settlement` or `adjustment`.
    pub kind: String,
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
