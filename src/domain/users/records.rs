//! What the store keeps of users.

use crate::domain::ids::IdTag;
use crate::domain::ledger::money::Fen;
use chrono::{DateTime, Utc};

/// A user: a driver, an operator or an admin, with their balance and real-name check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub phone: String,
    pub nickname: String,
    pub avatar: Option<String>,
    /// `user`, `operator` or `admin`.
    pub role: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Their own id tag: app sessions start with it, their cards belong to its group.
    pub id_tag: IdTag,
    pub real_name: Option<String>,
    pub id_card_masked: Option<String>,
    pub id_card_hash: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub balance_fen: Fen,
    /// Raised by each sign-out: a token carries the version it was issued at, and is refused
    /// once the user's is another.
    pub token_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An id tag (an RFID card, or a user's own tag): whether it is accepted, until when, and the
/// group (the user's own tag) it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id_tag: IdTag,
    /// `Accepted`, `Blocked`, …, as OCPP 1.6 names it.
    pub status: String,
    pub expiry_date: Option<DateTime<Utc>>,
    pub parent_id_tag: Option<IdTag>,
    pub created_at: DateTime<Utc>,
}

/// A user to create, with their own id tag (created with them).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub phone: String,
    pub nickname: String,
    /// `user`, `operator` or `admin`.
    pub role: String,
    pub id_tag: IdTag,
}

/// A real-name check passed: what is kept of it.
#[derive(Debug, Clone)]
pub struct RealName {
    pub name: String,
    pub id_card_masked: String,
    pub id_card_hash: String,
}

/// A change of a user's profile: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub nickname: Option<String>,
    /// `Some(None)` removes the avatar.
    pub avatar: Option<Option<String>>,
}

/// Which users a list shows.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub phone: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
}
