//! `reservations`: a driver's hold on a connector (see migration 000025).

use sea_orm::entity::prelude::*;

/// A reservation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reservations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub charger_id: String,
    pub evse_id: i32,
    pub connector_id: i32,
    pub id_tag: String,
    /// `ACTIVE`, `USED`, `EXPIRED`, `CANCELLED` or `REVOKED`.
    pub status: String,
    pub fee_fen: i64,
    /// `HELD`, `CREDITED`, `KEPT` or `REFUNDED`.
    pub fee_status: String,
    /// The order the driver made on it.
    pub order_no: Option<String>,
    /// Who ended it (`user:<id>`, an operator, `pile`), when it did not run out.
    pub ended_by: Option<String>,
    #[sea_orm(unique)]
    pub active_user_id: Option<i64>,
    #[sea_orm(unique)]
    pub active_connector: Option<String>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
