//! `[audit]`: how often the money audit runs in the server.

use serde::Deserialize;
use std::time::Duration;

/// `[audit]`.
#[derive(Clone, Debug, Deserialize)]
pub struct AuditSettings {
    /// Seconds between runs (the first at start); 0: never in the server (`csms audit` still runs it).
    pub interval_s: u64,
}

impl AuditSettings {
    /// The interval, if the server runs the audit.
    pub fn every(&self) -> Option<Duration> {
        (self.interval_s > 0).then(|| Duration::from_secs(self.interval_s))
    }
}
