//! The verdict on an id tag, and the port through which the money decides too.

use super::records::CreditStanding;
use crate::domain::ids::IdTag;
use chrono::{DateTime, Utc};

/// The verdict on an id tag (the `AuthorizationStatus` of both versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStatus {
    Accepted,
    Blocked,
    Expired,
    Invalid,
    /// Accepted, but already charging elsewhere.
    ConcurrentTx,
    /// Known and allowed, but its driver's money is used up (1.6 has no such status: Blocked).
    NoCredit,
}

/// An id tag's verdict with what the charger may cache of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub status: AuthStatus,
    pub expiry_date: Option<DateTime<Utc>>,
    pub parent_id_tag: Option<IdTag>,
}

impl Authorization {
    pub fn invalid() -> Self {
        Authorization { status: AuthStatus::Invalid, expiry_date: None, parent_id_tag: None }
    }
}

/// Whether a tag's driver still has money to charge with: the orders' side of authorising,
/// asked when the tag itself is accepted and is a driver's.
pub trait CreditGate: Send + Sync + std::fmt::Debug {
    /// False when the driver, standing as read with their tag `tag`, has used up their credit.
    fn has_credit<'a>(
        &'a self,
        tag: &'a IdTag,
        driver: &'a CreditStanding,
    ) -> futures_util::future::BoxFuture<'a, bool>;
}

/// The verdict of a tag's own status and expiry, at `now`.
pub(super) fn verdict(status: &str, expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> AuthStatus {
    match status {
        "Accepted" if expiry.is_some_and(|e| e <= now) => AuthStatus::Expired,
        "Accepted" => AuthStatus::Accepted,
        "Blocked" => AuthStatus::Blocked,
        "Expired" => AuthStatus::Expired,
        _ => AuthStatus::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_and_status_decide_the_verdict() {
        let now = Utc::now();
        assert_eq!(verdict("Accepted", None, now), AuthStatus::Accepted);
        assert_eq!(verdict("Accepted", Some(now - chrono::Duration::days(1)), now), AuthStatus::Expired);
        assert_eq!(verdict("Accepted", Some(now + chrono::Duration::days(1)), now), AuthStatus::Accepted);
        assert_eq!(verdict("Blocked", None, now), AuthStatus::Blocked);
        assert_eq!(verdict("Whatever", None, now), AuthStatus::Invalid);
    }
}
