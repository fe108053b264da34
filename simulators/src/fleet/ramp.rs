//! A fleet's timeline, shared by the OCPP and the MQTT fleets: connections spread over the ramp
//! (`ramp_per_s`; 0: all at once), a steady phase from two seconds after the last one, and how
//! many were connected when it began.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// When each member connects and when the steady phase runs.
#[derive(Debug, Clone)]
pub(crate) struct Ramp {
    start: Instant,
    per_s: u32,
    /// The steady phase: from a moment after the last connection (for its boot to finish).
    pub(crate) steady_from: Instant,
    pub(crate) until: Instant,
    /// Members connected now (each adds itself).
    pub(crate) connected: Arc<AtomicUsize>,
    at_start: Arc<AtomicUsize>,
}

impl Ramp {
    /// `count` members, `per_s` connecting per second, a steady phase of `duration`.
    pub(crate) fn new(count: usize, per_s: u32, duration: Duration) -> Ramp {
        let start = Instant::now();
        let ramp = if per_s == 0 { Duration::ZERO } else { Duration::from_secs_f64(count as f64 / f64::from(per_s)) };
        let steady_from = start + ramp + Duration::from_secs(2);
        let ramp = Ramp {
            start,
            per_s,
            steady_from,
            until: steady_from + duration,
            connected: Arc::default(),
            at_start: Arc::default(),
        };
        let (now, at_start) = (ramp.connected.clone(), ramp.at_start.clone());
        tokio::spawn(async move {
            sleep_until(steady_from).await;
            at_start.store(now.load(Ordering::Relaxed), Ordering::Relaxed);
        });
        ramp
    }

    /// When member `n` connects.
    pub(crate) fn slot(&self, n: usize) -> Instant {
        if self.per_s == 0 {
            self.start
        } else {
            self.start + Duration::from_secs_f64(n as f64 / f64::from(self.per_s))
        }
    }

    /// How many were connected when the steady phase began.
    pub(crate) fn connected_at_start(&self) -> usize {
        self.at_start.load(Ordering::Relaxed)
    }
}
