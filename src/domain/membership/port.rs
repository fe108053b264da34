//! What membership needs stored: its port, in its own types.

use super::levels::Level;
use crate::domain::ledger::money::Fen;
use crate::domain::storage::StoreError;
use chrono::{DateTime, Utc};

/// A driver's membership as stored: their price group and the level the last recompute found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub price_group: Option<String>,
    pub level: Option<String>,
    pub energy_wh: i64,
    pub spend: Fen,
    pub computed_at: Option<DateTime<Utc>>,
}

/// A driver's standing found by a recompute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub user_id: i64,
    pub level: Option<String>,
    pub energy_wh: i64,
    pub spend: Fen,
}

#[async_trait::async_trait]
pub trait MembershipStore: Send + Sync + std::fmt::Debug {
    /// The ladder, lowest first.
    async fn member_levels(&self) -> Result<Vec<Level>, StoreError>;

    /// Replaces the whole ladder, in one transaction.
    async fn replace_member_levels(&self, levels: Vec<Level>) -> Result<(), StoreError>;

    /// User `user_id`'s membership; none when there is no such user.
    async fn member_of(&self, user_id: i64) -> Result<Option<MemberRecord>, StoreError>;

    /// Puts user `user_id` in price group `group` (none: out of any); false when no such user.
    async fn set_price_group(&self, user_id: i64, group: Option<&str>) -> Result<bool, StoreError>;

    /// Each driver's completed orders since `since`: (user, energy in Wh, money in fen); or one
    /// driver's only.
    async fn spent_since(&self, since: DateTime<Utc>, user_id: Option<i64>)
    -> Result<Vec<(i64, i64, Fen)>, StoreError>;

    /// Stores what a recompute found at `at`: `standings` for the drivers with orders, no level
    /// and nothing spent for everyone else, in one transaction.
    async fn store_standings(&self, standings: Vec<Standing>, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Claims the recompute of local day `day` for `node`: false when it was claimed already.
    async fn claim_membership_run(&self, day: &str, node: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}
