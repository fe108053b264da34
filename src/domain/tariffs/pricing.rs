//! Which period is in force at an instant (by the station's local wall-clock time), and splitting
//! an interval's energy across the periods it spans in proportion to time, exactly: the pieces of
//! an interval always sum to its energy.

use super::{MINUTES_PER_DAY, Tariff};
use chrono::{DateTime, FixedOffset, Offset, Timelike, Utc};
use chrono_tz::Tz;

const MS_PER_MINUTE: i64 = 60_000;

impl Tariff {
    /// The index into `periods` of the period in force at `at`, judged by the local wall-clock
    /// time in `tz`: with Asia/Shanghai, 16:00 UTC is 00:00 the next day; across a DST change
    /// (Europe/Berlin) the local clock decides. A validated tariff always has exactly one such
    /// period; a hand-built tariff with a gap there gives 0.
    pub fn period_at(&self, at: DateTime<Utc>, tz: Tz) -> usize {
        let minute = local_minute(at, tz);
        self.periods.iter().position(|p| p.covers(minute)).unwrap_or(0)
    }
}

/// Minutes after local midnight at `at` in `tz`.
fn local_minute(at: DateTime<Utc>, tz: Tz) -> u32 {
    let local = at.with_timezone(&tz);
    local.hour() * 60 + local.minute()
}

/// A tariff's periods laid out over the day in one zone, for splitting many intervals.
/// Instants are Unix milliseconds.
#[derive(Debug)]
pub(super) struct Timeline {
    /// The period in force at each minute of the local day.
    by_minute: Vec<usize>,
    /// The minutes of the local day at which the period in force changes, ascending.
    boundaries: Vec<u32>,
    tz: Tz,
}

impl Timeline {
    pub(super) fn new(tariff: &Tariff, tz: Tz) -> Timeline {
        let by_minute: Vec<usize> =
            (0..MINUTES_PER_DAY).map(|m| tariff.periods.iter().position(|p| p.covers(m)).unwrap_or(0)).collect();
        let boundaries = (0..MINUTES_PER_DAY)
            .zip(by_minute.iter())
            .zip(by_minute.iter().cycle().skip(by_minute.len() - 1))
            .filter(|((_, now), before)| now != before)
            .map(|((m, _), _)| m)
            .collect();
        Timeline { by_minute, boundaries, tz }
    }

    /// The period in force at `ms` (0 outside chrono's range, which no reading reaches).
    pub(super) fn period_at(&self, ms: i64) -> usize {
        DateTime::from_timestamp_millis(ms)
            .and_then(|at| self.by_minute.get(local_minute(at, self.tz) as usize).copied())
            .unwrap_or(0)
    }

    fn offset_at(&self, ms: i64) -> Option<FixedOffset> {
        DateTime::from_timestamp_millis(ms).map(|at| at.with_timezone(&self.tz).offset().fix())
    }

    /// The first instant after `ms` at which the period in force may change: when the local
    /// clock reaches the next boundary, or earlier when the zone's UTC offset changes (DST).
    /// `None` when the period never changes (one period all day).
    fn next_change(&self, ms: i64) -> Option<i64> {
        let local = DateTime::from_timestamp_millis(ms)?.with_timezone(&self.tz);
        let minute = local.hour() * 60 + local.minute();
        // Minutes until the local clock next shows a boundary: 1..=1440.
        let ahead =
            self.boundaries.iter().map(|&b| (b + 2 * MINUTES_PER_DAY - minute - 1) % MINUTES_PER_DAY + 1).min()?;
        let into_minute = i64::from(local.second()) * 1000 + i64::from(local.nanosecond() / 1_000_000);
        let candidate = ms - into_minute + i64::from(ahead) * MS_PER_MINUTE;
        let offset = local.offset().fix();
        if self.offset_at(candidate) == Some(offset) {
            return Some(candidate);
        }
        // The offset changes in (ms, candidate]: find the first millisecond of the new offset.
        let (mut same, mut changed) = (ms, candidate);
        while changed - same > 1 {
            let mid = same + (changed - same) / 2;
            if self.offset_at(mid) == Some(offset) {
                same = mid;
            } else {
                changed = mid;
            }
        }
        Some(changed)
    }

    /// Adds `energy` (any unit), consumed evenly over `[from, to)`, to `shares` by period. Each
    /// piece gets its share of the time rounded down and the last piece the remainder, so the
    /// pieces sum to `energy` exactly. An empty interval gives everything to the period at `from`.
    pub(super) fn split(&self, from: i64, to: i64, energy: u128, shares: &mut [u128]) {
        let mut add = |period: usize, amount: u128| {
            if let Some(share) = shares.get_mut(period) {
                *share = share.saturating_add(amount);
            }
        };
        if to <= from {
            add(self.period_at(from), energy);
            return;
        }
        let span = (i128::from(to) - i128::from(from)).unsigned_abs();
        let (mut at, mut given) = (from, 0u128);
        while at < to {
            let next = self.next_change(at).filter(|&n| n > at).map_or(to, |n| n.min(to));
            let piece = if next == to {
                energy.saturating_sub(given)
            } else {
                proportion(energy, (i128::from(next) - i128::from(at)).unsigned_abs(), span)
            };
            given = given.saturating_add(piece);
            add(self.period_at(at), piece);
            at = next;
        }
    }
}

/// `energy × part / whole` rounded down, without overflow for any `part <= whole`
/// (the remainder times `part` is below `whole²`, and two chrono instants are less than 2^64 ms
/// apart).
pub(super) fn proportion(energy: u128, part: u128, whole: u128) -> u128 {
    if whole == 0 {
        return 0;
    }
    let (quotient, remainder) = (energy / whole, energy % whole);
    quotient.saturating_mul(part).saturating_add(remainder.saturating_mul(part) / whole)
}

#[cfg(test)]
#[path = "pricing_tests.rs"]
mod tests;
