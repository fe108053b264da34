//! What a sample session would cost under a tariff not stored yet: the console's preview while an
//! operator edits one (`POST /api/v1/tariffs/preview`). The same validation as storing it, and the
//! same [`Tariff::bill`] an order's bill comes from: the session's energy drawn at a steady power
//! from its start to its end, split across the periods it spans, and the occupancy fee when the
//! car stays plugged in after it.

use super::{Bill, Reading, Tariff, TariffError, TariffSpec};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The longest sample session: two days.
const MAX_HOURS: i64 = 48;
/// The most energy a sample session may deliver, Wh (a 48-hour session at 2 MW).
const MAX_WH: i64 = 96_000_000;

/// A sample session: charging from `start` to `end` in the station's time zone, `energy_wh`
/// delivered evenly, the connector freed at `freed_at` (none: as charging ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSession {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub energy_wh: i64,
    pub freed_at: Option<DateTime<Utc>>,
    pub timezone: Tz,
}

/// Why a preview could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PreviewError {
    #[error(transparent)]
    Tariff(#[from] TariffError),
    #[error("end: not after start")]
    EndNotAfterStart,
    #[error("end: more than {MAX_HOURS} hours after start")]
    TooLong,
    #[error("energyKwh: negative, or more than {} kWh", MAX_WH / 1000)]
    Energy,
    #[error("unpluggedAt: before end")]
    FreedBeforeEnd,
}

/// The bill `session` would have under `spec` (validated as it would be stored, valid from the
/// session's first day).
pub fn preview(spec: TariffSpec, session: &SampleSession) -> Result<Bill, PreviewError> {
    if session.end <= session.start {
        return Err(PreviewError::EndNotAfterStart);
    }
    if session.end - session.start > chrono::Duration::hours(MAX_HOURS) {
        return Err(PreviewError::TooLong);
    }
    if !(0..=MAX_WH).contains(&session.energy_wh) {
        return Err(PreviewError::Energy);
    }
    if session.freed_at.is_some_and(|freed| freed < session.end) {
        return Err(PreviewError::FreedBeforeEnd);
    }
    let first_day = session.start.with_timezone(&session.timezone).date_naive();
    let spec = TariffSpec { valid_from: None, ..spec };
    let tariff = Tariff::from_spec(spec, first_day)?;
    let readings = [Reading { at: session.start, wh: 0 }, Reading { at: session.end, wh: session.energy_wh }];
    let bill = tariff.bill(&readings, session.timezone);
    let occupancy = session.freed_at.and_then(|freed| tariff.occupancy_line(session.end, freed));
    Ok(bill.with_occupancy(occupancy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tariffs::{OccupancySpec, PeriodSpec, money_string};

    fn spec() -> TariffSpec {
        let period = |start: &str, end: &str, energy: &str, service: &str| PeriodSpec {
            start: start.into(),
            end: end.into(),
            energy_price: energy.into(),
            service_fee: service.into(),
            name: None,
        };
        TariffSpec {
            valid_from: None,
            periods: vec![period("00:00", "08:00", "0.30", "0.40"), period("08:00", "00:00", "1.00", "0.60")],
            occupancy: Some(OccupancySpec { grace_minutes: 15, fee_per_minute: "0.50".into(), cap: "30.00".into() }),
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn session(start: &str, end: &str, energy_wh: i64) -> SampleSession {
        SampleSession { start: at(start), end: at(end), energy_wh, freed_at: None, timezone: chrono_tz::Asia::Shanghai }
    }

    #[test]
    fn a_session_across_a_boundary_is_split_by_time_and_priced_per_period() {
        // 07:00–09:00 Shanghai: half the 20 kWh before 08:00, half after.
        let bill = preview(spec(), &session("2026-12-01T23:00:00Z", "2026-12-02T01:00:00Z", 20_000)).unwrap();
        let lines: Vec<_> = bill.lines.iter().map(|l| (l.period, l.kwh.to_string(), money_string(l.amount))).collect();
        assert_eq!(lines, [(0, "10.000".into(), "7.00".into()), (1, "10.000".into(), "16.00".into())]);
        assert_eq!(money_string(bill.total), "23.00");
    }

    #[test]
    fn a_car_left_plugged_in_past_the_grace_pays_the_occupancy_fee() {
        let mut plugged = session("2026-12-02T02:00:00Z", "2026-12-02T03:00:00Z", 10_000);
        plugged.freed_at = Some(at("2026-12-02T03:45:00Z"));
        let bill = preview(spec(), &plugged).unwrap();
        let occupancy = bill.occupancy.clone().unwrap();
        assert_eq!((occupancy.minutes, money_string(occupancy.amount)), (30, "15.00".into()));
        assert_eq!(money_string(bill.total), "31.00");
    }

    #[test]
    fn a_tariff_that_could_not_be_stored_or_an_impossible_session_is_refused() {
        let mut gap = spec();
        gap.periods.pop();
        let ok = session("2026-12-02T02:00:00Z", "2026-12-02T03:00:00Z", 1_000);
        assert!(matches!(preview(gap, &ok), Err(PreviewError::Tariff(_))));
        let backwards = session("2026-12-02T03:00:00Z", "2026-12-02T02:00:00Z", 1_000);
        assert_eq!(preview(spec(), &backwards), Err(PreviewError::EndNotAfterStart));
        let long = session("2026-12-02T00:00:00Z", "2026-12-05T00:00:00Z", 1_000);
        assert_eq!(preview(spec(), &long), Err(PreviewError::TooLong));
        assert_eq!(
            preview(spec(), &session("2026-12-02T02:00:00Z", "2026-12-02T03:00:00Z", -1)),
            Err(PreviewError::Energy)
        );
        let mut early = ok.clone();
        early.freed_at = Some(at("2026-12-02T02:30:00Z"));
        assert_eq!(preview(spec(), &early), Err(PreviewError::FreedBeforeEnd));
    }
}
