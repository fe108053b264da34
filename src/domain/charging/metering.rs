//! Which energy a session is billed for, decided without I/O: the meter register's stop − start
//! is the authority; the samples between only shape how that energy spreads over time. Samples a
//! real meter cannot produce are set aside as anomalies, and sessions whose register cannot be
//! believed are sent to an operator's review instead of being billed.

use super::transactions::Sample;
use crate::domain::tariffs::Reading;
use crate::domain::units::Wh;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A register may rise at most this many times faster than the pile's rated power (numerator,
/// denominator): 1.2, the margin a meter's and a rating's tolerances leave.
const RATE_MARGIN: (i128, i128) = (6, 5);
/// Steps shorter than this are too coarse to judge a rate on (a register in whole Wh read a second
/// apart can look arbitrarily fast).
const SHORTEST_JUDGED_STEP_MS: i64 = 10_000;
/// A register reads whole Wh at best and whole kWh at worst: a step up to this is resolution.
const COARSEST_REGISTER_WH: i64 = 1_000;
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
    pub start_wh: Option<Wh>,
    /// The stop register (1.6 meterStop; 2.0.1 the end reading), Wh.
    pub stop_wh: Option<Wh>,
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
    pub energy_wh: Option<Wh>,
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
/// A sample measured elsewhere, stamped outside the session, below the start register or above
/// the stop register is set aside first. Of the rest, the longest run that never goes down is
/// kept (one glitch, low or high, cannot throw away the readings around it: the odd one out is
/// `backwards`); then, in time order, a reading that would make the register rise faster than
/// the rated power × 1.2 — judged against the latest plausible reading at least 10 s before it,
/// allowing one step of the register's own resolution — is `too_fast`. Without a start register
/// the first plausible sample starts the curve.
pub fn meter(register: &Register, samples: &[Located], billed_location: &str) -> Metered {
    // The samples and the curve are bare Wh (a reading's number); the register is read as such.
    let (start_wh, stop_wh) = (register.start_wh.map(Wh::get), register.stop_wh.map(Wh::get));
    let mut anomalies: Vec<Anomaly> = samples
        .iter()
        .filter(|s| s.location != billed_location)
        .map(|s| Anomaly { kind: AnomalyKind::OtherLocation, reading: s.wh, time: s.at })
        .collect();
    let mut note = |kind, s: &Located| anomalies.push(Anomaly { kind, reading: s.wh, time: s.at });
    let went_back = matches!((start_wh, stop_wh), (Some(a), Some(b)) if b < a);
    // A stop below the start is itself suspect: it bounds nothing.
    let ceiling = stop_wh.filter(|_| !went_back);
    let billed: Vec<&Located> = samples.iter().filter(|s| s.location == billed_location).collect();
    let mut candidates: Vec<&Located> = Vec::new();
    for s in ordered(billed) {
        if s.at < register.started_at || register.stopped_at.is_some_and(|stop| s.at > stop) {
            note(AnomalyKind::OutsideSession, s);
        } else if start_wh.is_some_and(|start| s.wh < start) {
            note(AnomalyKind::Backwards, s);
        } else if ceiling.is_some_and(|stop| s.wh > stop) {
            note(AnomalyKind::AboveStop, s);
        } else {
            candidates.push(s);
        }
    }
    let kept = never_down(&candidates);
    let mut plausible: Vec<&Located> = Vec::with_capacity(kept.len());
    for (i, s) in candidates.iter().enumerate() {
        if kept.binary_search(&i).is_ok() {
            plausible.push(s);
        } else {
            note(AnomalyKind::Backwards, s);
        }
    }
    // The register's steps show between samples (and from the start and to the stop) — not from
    // the start to the stop alone.
    let points = start_wh.into_iter().chain(ceiling).filter(|_| !plausible.is_empty());
    let tick = resolution(points.chain(plausible.iter().map(|s| s.wh)));
    let mut curve: Vec<Reading> = Vec::with_capacity(plausible.len() + 2);
    if let Some(wh) = start_wh {
        curve.push(Reading { at: register.started_at, wh });
    }
    for s in plausible {
        if too_fast(&curve, s, register.rated_power_w, tick) {
            note(AnomalyKind::TooFast, s);
        } else {
            curve.push(Reading { at: s.at, wh: s.wh });
        }
    }
    anomalies.sort_by_key(|a| a.time);
    anomalies.truncate(MAX_ANOMALIES);
    let review = match (start_wh, stop_wh, register.stopped_at) {
        (Some(_), Some(_), _) if went_back => Some(ReviewReason::MeterWentBack),
        (Some(start), Some(stop), Some(stopped_at)) => {
            // A session shorter than a judged step (or a clock set back) is judged over one.
            let ms =
                (stopped_at.timestamp_millis() - register.started_at.timestamp_millis()).max(SHORTEST_JUDGED_STEP_MS);
            exceeds(register.rated_power_w, (stop - start).saturating_sub(tick), ms)
                .then_some(ReviewReason::TooMuchEnergy)
        }
        _ => Some(ReviewReason::NoRegister),
    };
    if let (Some(wh), Some(at), None) = (stop_wh, register.stopped_at, review) {
        // Same instant as the last sample: the register wins.
        if curve.last().is_some_and(|last| last.at == at) {
            curve.pop();
        }
        curve.push(Reading { at, wh });
    }
    let energy_wh = match (start_wh, stop_wh) {
        (Some(start), Some(stop)) if !went_back => stop.checked_sub(start).map(Wh),
        _ => None,
    };
    Metered { energy_wh, curve, anomalies, review }
}

/// The indices (ascending) of the longest run of `readings` whose values never go down; of runs
/// as long, the one ending lowest (a high glitch is the one left out).
fn never_down(readings: &[&Located]) -> Vec<usize> {
    // tails[k]: the index ending the lowest run of length k + 1 found so far.
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; readings.len()];
    for (i, r) in readings.iter().enumerate() {
        let at = tails.partition_point(|&t| readings.get(t).is_some_and(|x| x.wh <= r.wh));
        before[i] = at.checked_sub(1).and_then(|k| tails.get(k).copied());
        if at == tails.len() {
            tails.push(i);
        } else if let Some(slot) = tails.get_mut(at) {
            *slot = i;
        }
    }
    let mut run = Vec::with_capacity(tails.len());
    let mut next = tails.last().copied();
    while let Some(i) = next {
        run.push(i);
        next = before.get(i).copied().flatten();
    }
    run.reverse();
    run
}

/// The register's resolution as its samples show it: their smallest step up (0 with none), at
/// most a whole kWh (the coarsest register a pile has).
fn resolution(values: impl Iterator<Item = i64>) -> i64 {
    let mut sorted: Vec<i64> = values.collect();
    sorted.sort_unstable();
    let step = sorted.windows(2).filter_map(|w| Some(w.get(1)? - w.first()?)).filter(|d| *d > 0).min();
    step.unwrap_or(0).min(COARSEST_REGISTER_WH)
}

/// Whether `s` would make the register rise faster than `rated_power_w` × 1.2 (plus one step of
/// resolution `tick`) from the latest plausible reading at least 10 s before it.
fn too_fast(curve: &[Reading], s: &Located, rated_power_w: Option<i64>, tick: i64) -> bool {
    let at = s.at.timestamp_millis();
    let reference = curve.iter().rev().find(|r| at - r.at.timestamp_millis() >= SHORTEST_JUDGED_STEP_MS);
    reference.is_some_and(|r| exceeds(rated_power_w, (s.wh - r.wh).saturating_sub(tick), at - r.at.timestamp_millis()))
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
