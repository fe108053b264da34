//! A session's bill from its meter register: the energy (stop − start, or an operator's figure)
//! is what is billed; the trusted readings between only say when it was drawn, and so which
//! periods' prices apply.

use super::Tariff;
use super::bill::{Bill, Reading};
use super::pricing::{Timeline, proportion};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

impl Tariff {
    /// Bills `energy_wh` spread along `curve`, trusted readings in time order that never
    /// decrease (see `charging::metering`), in the station's zone.
    ///
    /// - Each rise between consecutive readings gets its share of the energy in proportion to
    ///   the rise (exactly the rise when the curve runs from the start register to the stop
    ///   register, as it does for a session billed by itself), in milli-Wh, cumulatively rounded
    ///   down so the shares sum to the energy.
    /// - A share goes to the periods its interval spans in proportion to time: energy the samples
    ///   did not see (a gap between the last sample and the stop register, say) is spread evenly
    ///   over the stretch in which the register moved unseen.
    /// - A curve without any rise (no plausible samples and no register) spreads the energy over
    ///   `window`, the session's start to its stop, in proportion to time.
    /// - Whole Wh per period by largest remainder; fees rounded once per line (as [`Tariff::bill`]).
    pub fn bill_register(
        &self,
        energy_wh: i64,
        curve: &[Reading],
        window: (DateTime<Utc>, DateTime<Utc>),
        tz: Tz,
    ) -> Bill {
        let timeline = Timeline::new(self, tz);
        let total_wh = u128::try_from(energy_wh).unwrap_or(0);
        let energy = total_wh.saturating_mul(1000);
        let mut milli_wh = vec![0u128; self.periods.len()];
        let rises: Vec<(i64, i64, u128)> = curve
            .windows(2)
            .filter_map(|pair| {
                let [from, to] = pair else { return None };
                let rise = u128::try_from(i128::from(to.wh) - i128::from(from.wh)).ok().filter(|r| *r > 0)?;
                Some((from.at.timestamp_millis(), to.at.timestamp_millis(), rise))
            })
            .collect();
        let whole = rises.iter().fold(0u128, |sum, (_, _, rise)| sum.saturating_add(*rise));
        if whole == 0 {
            timeline.split(window.0.timestamp_millis(), window.1.timestamp_millis(), energy, &mut milli_wh);
        } else {
            let (mut seen, mut given) = (0u128, 0u128);
            for (from, to, rise) in rises {
                seen = seen.saturating_add(rise);
                let upto = proportion(energy, seen, whole);
                timeline.split(from, to, upto.saturating_sub(given), &mut milli_wh);
                given = upto;
            }
        }
        self.bill_from_shares(&milli_wh, total_wh)
    }
}

#[cfg(test)]
#[path = "apportion_tests.rs"]
mod tests;
