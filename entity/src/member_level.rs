//! `member_levels`: the operator's ladder of member levels (see migration 000026).

use sea_orm::entity::prelude::*;

/// A member level.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Its place on the ladder: the highest a driver qualifies for is theirs.
    pub rank: i32,
    /// `energy` (Wh) or `spend` (fen) over the last 12 months.
    pub basis: String,
    pub threshold: i64,
    pub energy_discount_pct: i32,
    pub service_discount_pct: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
