//! `users`: drivers, operators and admins.

use sea_orm::entity::prelude::*;

/// A user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// A mainland mobile number.
    #[sea_orm(unique)]
    pub phone: String,
    pub nickname: String,
    pub avatar: Option<String>,
    /// `user`, `operator` or `admin`.
    pub role: String,
    /// `active` or `disabled`.
    pub status: String,
    /// The user's own id tag.
    #[sea_orm(unique)]
    pub id_tag: String,
    pub real_name: Option<String>,
    pub id_card_masked: Option<String>,
    pub id_card_hash: Option<String>,
    pub verified_at: Option<DateTimeUtc>,
    /// The balance in fen: always the sum of the user's ledger rows.
    pub balance_fen: i64,
    /// The price group (a fleet, the staff) whose tariffs the user pays, if any.
    pub price_group: Option<String>,
    /// The member level the nightly recompute found, and the last 12 months' figures it used.
    pub member_level: Option<String>,
    pub member_energy_wh: i64,
    pub member_spend_fen: i64,
    pub member_computed_at: Option<DateTimeUtc>,
    /// Raised by a sign-out: tokens issued before it are refused.
    pub token_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
