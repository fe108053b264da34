//! Basic auth credentials verified since the process started, so that a charger reconnecting
//! with the password it gave before does not cost another argon2 verification (tens of
//! milliseconds of CPU by design: after a network blip a whole fleet reconnects at once; after a
//! restart the cache is empty and argon2 runs once per charger).
//!
//! What is kept per charger is the stored hash the password was verified against and a keyed
//! SHA-256 digest of that password (the key is random per process and never stored). A changed
//! password in the database changes the hash, which forgets the entry; a different password
//! does not match the digest and goes to argon2 again.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use dashmap::DashMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub(crate) struct VerifiedCredentials {
    key: [u8; 32],
    by_charger: DashMap<String, Verified>,
}

struct Verified {
    hash: Box<str>,
    digest: [u8; 32],
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
        VerifiedCredentials { key, by_charger: DashMap::new() }
    }
}

impl VerifiedCredentials {
    fn digest(&self, charger_id: &str, password: &str) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        // Lengths first, so that no two (id, password) pairs hash the same bytes.
        hasher.update((charger_id.len() as u64).to_le_bytes());
        hasher.update(charger_id.as_bytes());
        hasher.update(password.as_bytes());
        hasher.finalize().into()
    }

    /// Whether `password` was verified for `charger_id` against this same stored `hash`.
    pub(crate) fn known(&self, charger_id: &str, hash: &str, password: &str) -> bool {
        let Some(verified) = self.by_charger.get(charger_id) else { return false };
        let digest = self.digest(charger_id, password);
        *verified.hash == *hash && bool::from(verified.digest.ct_eq(&digest))
    }

    /// Remembers that argon2 verified `password` for `charger_id` against `hash`.
    pub(crate) fn remember(&self, charger_id: &str, hash: &str, password: &str) {
        let digest = self.digest(charger_id, password);
        self.by_charger.insert(charger_id.to_owned(), Verified { hash: hash.into(), digest });
    }
}

#[cfg(test)]
mod tests {
    use super::VerifiedCredentials;

    #[test]
    fn a_remembered_password_is_known_only_for_its_charger_its_hash_and_itself() {
        let verified = VerifiedCredentials::default();
        assert!(!verified.known("CP-1", "$argon2id$A", "secret"));
        verified.remember("CP-1", "$argon2id$A", "secret");
        assert!(verified.known("CP-1", "$argon2id$A", "secret"));
        assert!(!verified.known("CP-1", "$argon2id$A", "secret2"));
        assert!(!verified.known("CP-1", "$argon2id$A", ""));
        // The stored hash changed (a new password was set): argon2 again.
        assert!(!verified.known("CP-1", "$argon2id$B", "secret"));
        assert!(!verified.known("CP-2", "$argon2id$A", "secret"));
        // Identity and password are not confused at their boundary.
        verified.remember("CP-1x", "$argon2id$A", "y");
        assert!(!verified.known("CP-1", "$argon2id$A", "xy"));
    }

    #[test]
    fn two_processes_digest_the_same_password_differently() {
        let (a, b) = (VerifiedCredentials::default(), VerifiedCredentials::default());
        assert_ne!(a.digest("CP-1", "secret"), b.digest("CP-1", "secret"));
    }
}
