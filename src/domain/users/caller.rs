//! Who calls: what a sign-in token names and every request needs (id, role, own id tag), read
//! from the stored user at most once per `FRESH_FOR` per user on each node (`Users::identify`). A driver's app makes
//! a dozen calls per order: without this, each would read the users table once more.
//!
//! A change made through this node (a user disabled, a role changed) applies at once; one made
//! through another node within `FRESH_FOR`.

use crate::domain::ids::IdTag;
use crate::domain::users::records::User;
use dashmap::DashMap;
use std::time::{Duration, Instant};

/// How long an identity read from the database is used without reading it again.
pub const FRESH_FOR: Duration = Duration::from_secs(5);
/// Identities kept before the stale are swept out (each is a hundred bytes or so).
const SWEEP_ABOVE: usize = 100_000;

/// The signed-in user as a request needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: i64,
    pub role: String,
    /// The user's own id tag: their app sessions and their cards' are theirs.
    pub id_tag: IdTag,
    /// Tokens of another version are refused (signed out).
    pub token_version: i64,
}

impl From<&User> for Identity {
    fn from(user: &User) -> Self {
        Identity {
            id: user.id,
            role: user.role.clone(),
            id_tag: user.id_tag.clone(),
            token_version: user.token_version,
        }
    }
}

/// Identities recently read, by user id, with when.
#[derive(Debug, Default)]
pub(super) struct Identities {
    known: DashMap<i64, (Identity, Instant)>,
}

impl Identities {
    pub(super) fn fresh(&self, id: i64, now: Instant) -> Option<Identity> {
        let entry = self.known.get(&id)?;
        (now.duration_since(entry.1) < FRESH_FOR).then(|| entry.0.clone())
    }

    pub(super) fn keep(&self, identity: Identity, now: Instant) {
        if self.known.len() >= SWEEP_ABOVE {
            self.known.retain(|_, (_, at)| now.duration_since(*at) < FRESH_FOR);
        }
        self.known.insert(identity.id, (identity, now));
    }

    /// Forgets user `id`: their next request reads them again.
    pub(super) fn forget(&self, id: i64) {
        self.known.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn someone(id: i64) -> Identity {
        Identity { id, role: "user".into(), id_tag: format!("U{id}").as_str().into(), token_version: 0 }
    }

    #[test]
    fn an_identity_is_used_while_fresh_and_read_again_after() {
        let identities = Identities::default();
        let read = Instant::now();
        identities.keep(someone(1), read);
        assert_eq!(identities.fresh(1, read + FRESH_FOR / 2), Some(someone(1)));
        assert_eq!(identities.fresh(1, read + FRESH_FOR), None);
        assert_eq!(identities.fresh(2, read), None);
    }

    #[test]
    fn a_forgotten_identity_is_read_again() {
        let identities = Identities::default();
        let read = Instant::now();
        identities.keep(someone(1), read);
        identities.forget(1);
        assert_eq!(identities.fresh(1, read), None);
    }

    #[test]
    fn the_stale_are_swept_out_when_many_are_kept() {
        let identities = Identities::default();
        let long_ago = Instant::now();
        for id in 0..SWEEP_ABOVE as i64 {
            identities.keep(someone(id), long_ago);
        }
        identities.keep(someone(-1), long_ago + FRESH_FOR);
        assert_eq!(identities.known.len(), 1);
    }
}
