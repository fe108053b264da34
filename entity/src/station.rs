//! `stations`: where piles stand.

use sea_orm::entity::prelude::*;

/// A station.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub address: String,
    pub lng: f64,
    pub lat: f64,
    pub operator: Option<String>,
    /// `open` or `closed`.
    pub status: String,
    /// An IANA zone (`Asia/Shanghai`).
    pub timezone: String,
    /// The most power a session may draw (W; NULL: no limit).
    pub session_max_power_w: Option<i64>,
    /// The longest a session may last (s; NULL: no limit).
    pub session_max_time_s: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
