//! Users' and cards' rows into the domain's records.

use super::maybe_id_tag;
use crate::domain::ledger::money::Fen;
use crate::domain::storage::StoreError;
use crate::domain::users::records::{Card, User};
use entity::{id_tag, user};

impl TryFrom<user::Model> for User {
    type Error = StoreError;

    /// An id tag that cannot be one is a corrupt row.
    fn try_from(row: user::Model) -> Result<Self, StoreError> {
        Ok(User {
            id: row.id,
            phone: row.phone,
            nickname: row.nickname,
            avatar: row.avatar,
            role: row.role,
            status: row.status,
            id_tag: super::id_tag(row.id_tag, format_args!("user {}", row.id))?,
            real_name: row.real_name,
            id_card_masked: row.id_card_masked,
            id_card_hash: row.id_card_hash,
            verified_at: row.verified_at,
            balance_fen: Fen(row.balance_fen),
            token_version: row.token_version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl TryFrom<id_tag::Model> for Card {
    type Error = StoreError;

    /// A tag or parent tag that cannot be one is a corrupt row.
    fn try_from(row: id_tag::Model) -> Result<Self, StoreError> {
        let whose = format!("id tag {:?}", row.id_tag);
        Ok(Card {
            id_tag: super::id_tag(row.id_tag, &whose)?,
            status: row.status,
            expiry_date: row.expiry_date,
            parent_id_tag: maybe_id_tag(row.parent_id_tag, &whose)?,
            created_at: row.created_at,
        })
    }
}
