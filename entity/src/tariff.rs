//! `tariffs`: a station's time-of-use prices, each valid from a date.

use sea_orm::entity::prelude::*;

/// A tariff.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tariffs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub station_code: String,
    pub valid_from: Date,
    /// The price group it is for (`''`: the station's own).
    pub price_group: String,
    /// The tariff's JSON (prices as decimal strings).
    pub spec: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
