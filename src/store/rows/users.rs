//! Users' and cards' rows into the domain's records.

use crate::domain::ledger::money::Fen;
use crate::domain::users::records::{Card, User};
use entity::{id_tag, user};

impl From<user::Model> for User {
    fn from(row: user::Model) -> Self {
        User {
            id: row.id,
            phone: row.phone,
            nickname: row.nickname,
            avatar: row.avatar,
            role: row.role,
            status: row.status,
            id_tag: row.id_tag,
            real_name: row.real_name,
            id_card_masked: row.id_card_masked,
            id_card_hash: row.id_card_hash,
            verified_at: row.verified_at,
            balance_fen: Fen(row.balance_fen),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl From<id_tag::Model> for Card {
    fn from(row: id_tag::Model) -> Self {
        Card {
            id_tag: row.id_tag,
            status: row.status,
            expiry_date: row.expiry_date,
            parent_id_tag: row.parent_id_tag,
            created_at: row.created_at,
        }
    }
}
