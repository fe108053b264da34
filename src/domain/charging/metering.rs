//! Which energy a session is billed for, decided without I/O: the meter register's stop − start
//! is the authority; the samples between only shape how that energy spreads over time. Samples a
//! real meter cannot produce are set aside as anomalies, and sessions whose register cannot be
//! believed are sent to an operator's review instead of being billed.

use super::transactions::Sample;
use crate::domain::tariffs::Reading;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A register may rise at most this many times faster than the pile's rated power (numerator,
/// denominator): 1.2, the margin a meter's and a rating's tolerances leave.
const RATE_MARGIN: (i128, i128) = (6, 5);
/// Steps shorter than this are too coarse to judge a rate on (a register in whole Wh read a second
/// apart can look arbitrarily fast).
const SHORTEST_JUDGED_STEP_MS: i64 = 10_000;
/// At most this many anomalies are kept on an order (a charger reporting a second location with
/// every sample would fill it); the samples themselves stay stored as evidence.
pub const MAX_ANOMALIES: usize = 100;

/// Why a reading was set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// Lower than the plausible reading before it (a glitch, a reset).
    Backwards,
    /// Stamped before the session started or after it stopped.
    OutsideSession,
    /// Higher than the stop register: the stop would go backwards from it.
    AboveStop,
    /// The register would have risen faster than the pile's rated power allows.
    TooFast,
    /// Measured at another location than the one billed (`orders.billed_location`).
    OtherLocation,
}

/// A reading set aside, as recorded on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// The register's value, Wh.
    pub reading: i64,
    pub time: DateTime<Utc>,
}

/// Why a session is not billed by itself but left to an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The stop register is below the start: the meter was reset or replaced.
    MeterWentBack,
    /// The start or the stop register is unknown.
    NoRegister,
    /// stop − start is more than the pile's rated power could deliver in the session's time.
    TooMuchEnergy,
    /// The bill is above `orders.review_above`.
    BillAboveLimit,
}

impl ReviewReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            ReviewReason::MeterWentBack => "meter_went_back",
            ReviewReason::NoRegister => "no_register",
            ReviewReason::TooMuchEnergy => "too_much_energy",
            ReviewReason::BillAboveLimit => "bill_above_limit",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::MeterWentBack, Self::NoRegister, Self::TooMuchEnergy, Self::BillAboveLimit]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// What is known of a session's register and of its pile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Register {
    pub started_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// The start register (1.6 meterStart; 2.0.1 the begin reading), Wh.
    pub start_wh: Option<i64>,
    /// The stop register (1.6 meterStop; 2.0.1 the end reading), Wh.
    pub stop_wh: Option<i64>,
    /// The pile's rated power; unknown, no rate is judged.
    pub rated_power_w: Option<i64>,
}

/// A register sample with where it was measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub at: DateTime<Utc>,
    pub wh: i64,
    pub location: String,
}

impl Located {
    /// The energy register reading of a stored sample, if it is one.
    pub fn of(sample: &Sample) -> Option<Located> {
        Some(Located { at: sample.sampled_at, wh: sample.energy_wh()?, location: sample.location.clone() })
    }
}

/// What metering decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered {
    /// stop − start, when both are known and stop is not below start.
    pub energy_wh: Option<i64>,
    /// The trusted points in time order — the start register, the plausible samples, the stop
    /// register — never decreasing: the shape the energy is spread along.
    pub curve: Vec<Reading>,
    /// The readings set aside, in time order (at most [`MAX_ANOMALIES`]).
    pub anomalies: Vec<Anomaly>,
    /// Set when the register itself cannot be billed without an operator.
    pub review: Option<ReviewReason>,
}

/// Meters a finished session: its register, its samples in any order (resent copies of one
/// instant count once, the last given), and the location billed.
///
/// Walking the samples in time order from the start register, a sample is plausible unless it is
/// measured elsewhere, stamped outside the session, lower than the last plausible reading, higher
/// than the stop register, or — judged against the latest plausible reading at least 10 s before
/// it — a rise faster than the rated power × 1.2. Without a start register the first plausible
/// sample starts the curve.
pub fn meter(register: &Register, samples: &[Located], billed_location: &str) -> Metered {
    let mut anomalies: Vec<Anomaly> = samples
        .iter()
        .filter(|s| s.location != billed_location)
        .map(|s| Anomaly { kind: AnomalyKind::OtherLocation, reading: s.wh, time: s.at })
        .collect();
    let went_back = matches!((register.start_wh, register.stop_wh), (Some(a), Some(b)) if b < a);
    // A stop below the start is itself suspect: it bounds nothing.
    let ceiling = register.stop_wh.filter(|_| !went_back);
    let mut curve: Vec<Reading> = Vec::with_capacity(samples.len() + 2);
    if let Some(wh) = register.start_wh {
        curve.push(Reading { at: register.started_at, wh });
    }
    let billed: Vec<&Located> = samples.iter().filter(|s| s.location == billed_location).collect();
    for s in ordered(billed) {
        let outside = s.at < register.started_at || register.stopped_at.is_some_and(|stop| s.at > stop);
        let kind = if outside {
            Some(AnomalyKind::OutsideSession)
        } else if curve.last().is_some_and(|last| s.wh < last.wh) {
            Some(AnomalyKind::Backwards)
        } else if ceiling.is_some_and(|stop| s.wh > stop) {
            Some(AnomalyKind::AboveStop)
        } else if too_fast(&curve, s, register.rated_power_w) {
            Some(AnomalyKind::TooFast)
        } else {
            None
        };
        match kind {
            Some(kind) => anomalies.push(Anomaly { kind, reading: s.wh, time: s.at }),
            None => curve.push(Reading { at: s.at, wh: s.wh }),
        }
    }
    anomalies.sort_by_key(|a| a.time);
    anomalies.truncate(MAX_ANOMALIES);
    let review = match (register.start_wh, register.stop_wh, register.stopped_at) {
        (Some(_), Some(_), _) if went_back => Some(ReviewReason::MeterWentBack),
        (Some(start), Some(stop), Some(stopped_at)) => exceeds(
            register.rated_power_w,
            stop - start,
            stopped_at.timestamp_millis() - register.started_at.timestamp_millis(),
        )
        .then_some(ReviewReason::TooMuchEnergy),
        _ => Some(ReviewReason::NoRegister),
    };
    if let (Some(wh), Some(at), None) = (register.stop_wh, register.stopped_at, review) {
        // Same instant as the last sample: the register wins.
        if curve.last().is_some_and(|last| last.at == at) {
            curve.pop();
        }
        curve.push(Reading { at, wh });
    }
    let energy_wh = match (register.start_wh, register.stop_wh) {
        (Some(start), Some(stop)) if !went_back => stop.checked_sub(start),
        _ => None,
    };
    Metered { energy_wh, curve, anomalies, review }
}

/// Whether `s` would make the register rise faster than `rated_power_w` × 1.2 from the latest
/// plausible reading at least 10 s before it.
fn too_fast(curve: &[Reading], s: &Located, rated_power_w: Option<i64>) -> bool {
    let at = s.at.timestamp_millis();
    let reference = curve.iter().rev().find(|r| at - r.at.timestamp_millis() >= SHORTEST_JUDGED_STEP_MS);
    reference.is_some_and(|r| exceeds(rated_power_w, s.wh - r.wh, at - r.at.timestamp_millis()))
}

/// Whether `wh` in `ms` milliseconds is more than `rated_power_w` × 1.2 delivers (never, with
/// no rating known).
pub fn exceeds(rated_power_w: Option<i64>, wh: i64, ms: i64) -> bool {
    let Some(power) = rated_power_w.filter(|p| *p > 0) else { return false };
    // wh > power × 1.2 × ms / 3 600 000, in integers.
    i128::from(wh) * 3_600_000 * RATE_MARGIN.1 > i128::from(power) * RATE_MARGIN.0 * i128::from(ms.max(0))
}

/// The samples by time, one per millisecond (the last given for it).
fn ordered(mut sorted: Vec<&Located>) -> Vec<&Located> {
    // Stable: the order given decides among samples of the same millisecond.
    sorted.sort_by_key(|s| s.at.timestamp_millis());
    let mut kept: Vec<&Located> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match kept.last_mut() {
            Some(last) if last.at.timestamp_millis() == s.at.timestamp_millis() => *last = s,
            _ => kept.push(s),
        }
    }
    kept
}

#[cfg(test)]
#[path = "metering_tests.rs"]
mod tests;
