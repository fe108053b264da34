//! `id_tags`: the RFID cards and tokens that may charge, with their status.

use sea_orm::entity::prelude::*;

/// An id tag (1.6 idTag, 2.0.1 idToken).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "id_tags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_tag: String,
    /// `Accepted`, `Blocked`, `Expired` or `Invalid`.
    pub status: String,
    pub expiry_date: Option<DateTimeUtc>,
    /// A group tag: its status and expiry count too.
    pub parent_id_tag: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
