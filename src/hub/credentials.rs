//! Basic auth credentials verified before, so that a charger reconnecting with the password it
//! gave before does not cost another argon2 verification (tens of milliseconds of CPU by design:
//! after a network blip, or when a node dies and its fleet fails over to the others, thousands of
//! chargers reconnect at once).
//!
//! What is kept per charger is a keyed SHA-256 digest of (charger, stored hash, password): in this
//! process, and — when the nodes share Redis — under `cred:{charger}` for every node, so that a
//! charger failing over to another node is recognised there too. Nothing else is kept: not the
//! password, not the hash. The key is derived from `auth.jwt_secret` (the same on every node;
//! random per process when that is empty, and then nothing is recognised across nodes). A changed
//! password in the database changes the stored hash and so the digest: argon2 runs again.

use crate::kv::Kv;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use dashmap::DashMap;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

/// How long a verification is trusted by the other nodes without being made again.
const SHARED_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone)]
pub struct VerifiedCredentials {
    key: [u8; 32],
    by_charger: Arc<DashMap<String, [u8; 32]>>,
    /// Redis, shared by the nodes (in process: nothing more than `by_charger`).
    shared: Option<Kv>,
}

impl std::fmt::Debug for VerifiedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCredentials").field("chargers", &self.by_charger.len()).finish_non_exhaustive()
    }
}

impl Default for VerifiedCredentials {
    fn default() -> Self {
        let mut key = [0; 32];
        OsRng.fill_bytes(&mut key);
        VerifiedCredentials { key, by_charger: Arc::default(), shared: None }
    }
}

impl VerifiedCredentials {
    /// Verifications shared with the other nodes through `kv` (when it is Redis), digested with a
    /// key derived from `secret` (random when it is empty).
    pub fn shared(secret: &[u8], kv: Kv) -> Self {
        let mut verified = VerifiedCredentials::default();
        if !secret.is_empty() {
            verified.key =
                Sha256::new().chain_update(b"csms charger credentials\0").chain_update(secret).finalize().into();
        }
        verified.shared = matches!(kv, Kv::Redis(..)).then_some(kv);
        verified
    }

    fn digest(&self, charger_id: &str, hash: &str, password: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        // Lengths first, so that no two (id, hash, password) triples hash the same bytes.
        for part in [charger_id, hash] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        hasher.update(password.as_bytes());
        hasher.finalize().into()
    }

    /// Whether `password` was verified for `charger_id` against this same stored `hash`, here.
    pub(crate) fn known(&self, charger_id: &str, hash: &str, password: &str) -> bool {
        let Some(verified) = self.by_charger.get(charger_id) else { return false };
        bool::from(verified.ct_eq(&self.digest(charger_id, hash, password)))
    }

    /// The same, here or on another node (then remembered here too).
    pub(crate) async fn known_anywhere(&self, charger_id: &str, hash: &str, password: &str) -> bool {
        if self.known(charger_id, hash, password) {
            return true;
        }
        let Some(kv) = &self.shared else { return false };
        let digest = self.digest(charger_id, hash, password);
        match kv.get(&key(charger_id)).await {
            Ok(Some(stored)) if bool::from(stored.as_bytes().ct_eq(hex(&digest).as_bytes())) => {
                self.by_charger.insert(charger_id.to_owned(), digest);
                true
            }
            Ok(_) => false,
            Err(e) => {
                tracing::debug!(charger = %charger_id, error = %e, "verified credentials could not be read from Redis");
                false
            }
        }
    }

    /// Remembers that argon2 verified `password` for `charger_id` against `hash`, here and for
    /// the other nodes.
    pub(crate) async fn remember(&self, charger_id: &str, hash: &str, password: &str) {
        let digest = self.digest(charger_id, hash, password);
        self.by_charger.insert(charger_id.to_owned(), digest);
        if let Some(kv) = &self.shared
            && let Err(e) = kv.set(&key(charger_id), &hex(&digest), SHARED_FOR).await
        {
            tracing::debug!(charger = %charger_id, error = %e, "verified credentials could not be shared");
        }
    }
}

fn key(charger_id: &str) -> String {
    format!("cred:{charger_id}")
}

fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::VerifiedCredentials;
    use crate::kv::Kv;

    #[tokio::test]
    async fn a_remembered_password_is_known_only_for_its_charger_its_hash_and_itself() {
        let verified = VerifiedCredentials::default();
        assert!(!verified.known("CP-1", "$argon2id$A", "secret"));
        verified.remember("CP-1", "$argon2id$A", "secret").await;
        assert!(verified.known("CP-1", "$argon2id$A", "secret"));
        assert!(!verified.known("CP-1", "$argon2id$A", "secret2"));
        assert!(!verified.known("CP-1", "$argon2id$A", ""));
        // The stored hash changed (a new password was set): argon2 again.
        assert!(!verified.known("CP-1", "$argon2id$B", "secret"));
        assert!(!verified.known("CP-2", "$argon2id$A", "secret"));
        // Identity and password are not confused at their boundary.
        verified.remember("CP-1x", "$argon2id$A", "y").await;
        assert!(!verified.known("CP-1", "$argon2id$A", "xy"));
    }

    #[test]
    fn two_processes_digest_the_same_password_differently_unless_they_share_a_secret() {
        let (a, b) = (VerifiedCredentials::default(), VerifiedCredentials::default());
        assert_ne!(a.digest("CP-1", "h", "secret"), b.digest("CP-1", "h", "secret"));
        let (c, d) = (VerifiedCredentials::shared(b"s", Kv::memory()), VerifiedCredentials::shared(b"s", Kv::memory()));
        assert_eq!(c.digest("CP-1", "h", "secret"), d.digest("CP-1", "h", "secret"));
    }

    #[tokio::test]
    async fn a_node_knows_what_another_node_verified_through_redis() {
        let Ok(url) = std::env::var("REDIS_URL") else { return };
        let prefix = format!("csms-unit:{}:{}:", std::process::id(), chrono::Utc::now().timestamp_micros());
        let kv = Kv::redis(&url, &prefix).await.unwrap();
        let (a, b) = (VerifiedCredentials::shared(b"s", kv.clone()), VerifiedCredentials::shared(b"s", kv.clone()));
        a.remember("CP-9", "$argon2id$A", "secret").await;
        assert!(b.known_anywhere("CP-9", "$argon2id$A", "secret").await);
        assert!(b.known("CP-9", "$argon2id$A", "secret"), "remembered on b too");
        assert!(!b.known_anywhere("CP-9", "$argon2id$A", "wrong").await);
        assert!(!b.known_anywhere("CP-9", "$argon2id$B", "secret").await, "the password was changed");
        let stored = kv.get("cred:CP-9").await.unwrap().unwrap();
        assert!(!stored.contains("secret") && !stored.contains("argon2"), "only a keyed digest is shared");
        kv.delete("cred:CP-9").await.unwrap();
    }
}
