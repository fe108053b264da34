//! What a fleet run reports: calls per second, latency percentiles, errors, per behaviour.

use super::Behaviour;
use serde::Serialize;

/// What a fleet measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub chargers: usize,
    /// Chargers connected at the end of the ramp (at most `chargers`).
    pub connected: usize,
    pub connect_failures: usize,
    /// Calls answered in the steady phase.
    pub calls: usize,
    /// Calls refused (CALLERROR) or lost in the steady phase.
    pub errors: usize,
    /// Times a charger was sent away by a node (draining, or holding too many) and connected
    /// again (to the next node of the list).
    pub reconnects: usize,
    pub seconds: f64,
    pub calls_per_second: f64,
    pub latency_ms: Latency,
    /// The same per behaviour of the mix.
    pub by_behaviour: Vec<PartReport>,
}

/// What the chargers of one behaviour measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartReport {
    pub behaviour: Behaviour,
    pub chargers: usize,
    pub calls: usize,
    pub errors: usize,
    pub calls_per_second: f64,
    pub latency_ms: Latency,
    /// Charging sessions completed (sessions only).
    pub sessions: usize,
    /// The first error a charger of this part met, if any.
    pub first_error: Option<String>,
}

/// Round-trip latency percentiles of the steady phase, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "chargers          {} ({} connected, {} failed to connect)",
            self.chargers, self.connected, self.connect_failures
        )?;
        writeln!(f, "calls             {} in {:.1} s, {} errors", self.calls, self.seconds, self.errors)?;
        if self.reconnects > 0 {
            writeln!(f, "reconnects        {} (sent away by a node)", self.reconnects)?;
        }
        writeln!(f, "calls/s           {:.0}", self.calls_per_second)?;
        write!(f, "latency ms        {}", self.latency_ms)?;
        if self.by_behaviour.len() > 1 || self.by_behaviour.iter().any(|p| p.sessions > 0 || p.first_error.is_some()) {
            for part in &self.by_behaviour {
                write!(
                    f,
                    "\n  {:<15} {} chargers, {:.0} calls/s, {} errors, {}",
                    part.behaviour.name(),
                    part.chargers,
                    part.calls_per_second,
                    part.errors,
                    part.latency_ms
                )?;
                if part.behaviour == Behaviour::Sessions {
                    write!(f, ", {} sessions", part.sessions)?;
                }
                if let Some(error) = &part.first_error {
                    write!(f, "\n    first error: {error}")?;
                }
            }
        }
        Ok(())
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}", self.p50, self.p95, self.p99, self.max)
    }
}

impl Latency {
    /// Percentiles of round trips in µs, sorted.
    pub fn of(sorted: &[u32]) -> Self {
        let at = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
            f64::from(sorted[i]) / 1000.0
        };
        Latency { p50: at(0.50), p95: at(0.95), p99: at(0.99), max: at(1.0) }
    }
}
