//! The shared store in this process: a map whose entries expire, read lazily and swept now and
//! then so that expired keys never pile up.

use dashmap::DashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Writes between sweeps of expired keys.
const SWEEP_EVERY: u64 = 1024;

#[derive(Debug, Default)]
pub struct Memory {
    entries: DashMap<String, (String, Instant)>,
    writes: AtomicU64,
}

impl Memory {
    pub(super) fn set_new(&self, key: &str, value: &str, ttl: Duration) -> bool {
        self.wrote();
        let now = Instant::now();
        let mut fresh = false;
        self.entries
            .entry(key.to_owned())
            .and_modify(|entry| {
                if entry.1 <= now {
                    *entry = (value.to_owned(), now + ttl);
                    fresh = true;
                }
            })
            .or_insert_with(|| {
                fresh = true;
                (value.to_owned(), now + ttl)
            });
        fresh
    }

    pub(super) fn set(&self, key: &str, value: &str, ttl: Duration) {
        self.wrote();
        self.entries.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
    }

    pub(super) fn get(&self, key: &str) -> Option<String> {
        let entry = self.entries.get(key)?;
        (entry.1 > Instant::now()).then(|| entry.0.clone())
    }

    /// Removes `key` (if it holds `value`, when given); whether it did.
    pub(super) fn delete(&self, key: &str, value: Option<&str>) -> bool {
        let now = Instant::now();
        self.entries.remove_if(key, |_, (held, expires)| *expires > now && value.is_none_or(|v| v == held)).is_some()
    }

    pub(super) fn count(&self, key: &str, window: Duration) -> i64 {
        self.wrote();
        let now = Instant::now();
        let mut entry = self.entries.entry(key.to_owned()).or_insert_with(|| ("0".to_owned(), now + window));
        if entry.1 <= now {
            *entry = ("0".to_owned(), now + window);
        }
        let count = entry.0.parse::<i64>().unwrap_or(0).saturating_add(1);
        entry.0 = count.to_string();
        count
    }

    fn wrote(&self) {
        if self.writes.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            let now = Instant::now();
            self.entries.retain(|_, (_, expires)| *expires > now);
        }
    }
}
