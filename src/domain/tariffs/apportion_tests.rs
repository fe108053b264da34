//! Billing the register's energy along the trusted readings: exact totals, gaps spread by time,
//! an operator's figure scaled along the curve.

use super::super::test_support::{reading, tariffs, three_periods, utc, zones};
use super::super::{Bill, Reading};
use chrono::Duration;
use chrono_tz::Tz;
use proptest::prelude::*;
use rust_decimal::Decimal;

fn kwh(bill: &Bill) -> Vec<(usize, String)> {
    bill.lines.iter().map(|l| (l.period, l.kwh.to_string())).collect()
}

#[test]
fn a_rise_goes_to_the_period_its_readings_were_taken_in() {
    // 07:00–09:00 UTC: valley until 08:00, peak after; 1 kWh before 08:00, 3 kWh after.
    let curve = [
        reading("2026-12-01T07:00:00Z", 10_000),
        reading("2026-12-01T08:00:00Z", 11_000),
        reading("2026-12-01T09:00:00Z", 14_000),
    ];
    let window = (curve[0].at, curve[2].at);
    let bill = three_periods().bill_register(4_000, &curve, window, Tz::UTC);
    assert_eq!(kwh(&bill), [(0, "1.000".to_owned()), (1, "3.000".to_owned())]);
    // 1 × 0.70 + 3 × 2.00
    assert_eq!(bill.total.to_string(), "6.70");
}

#[test]
fn energy_the_samples_did_not_see_is_spread_over_the_stretch_it_was_drawn_in() {
    // The last sample at 07:30 reads 500 Wh of 2 000: the other 1 500 came between 07:30 and
    // the stop at 08:30, half of that stretch in the valley, half in the peak.
    let curve = [
        reading("2026-12-01T07:00:00Z", 0),
        reading("2026-12-01T07:30:00Z", 500),
        reading("2026-12-01T08:30:00Z", 2_000),
    ];
    let bill = three_periods().bill_register(2_000, &curve, (curve[0].at, curve[2].at), Tz::UTC);
    assert_eq!(kwh(&bill), [(0, "1.250".to_owned()), (1, "0.750".to_owned())]);
}

#[test]
fn without_any_rise_the_energy_is_spread_over_the_session_in_proportion_to_time() {
    let (from, to) = (utc("2026-12-01T07:00:00Z"), utc("2026-12-01T09:00:00Z"));
    let bill = three_periods().bill_register(3_001, &[reading("2026-12-01T07:00:00Z", 5)], (from, to), Tz::UTC);
    assert_eq!(kwh(&bill), [(0, "1.501".to_owned()), (1, "1.500".to_owned())]);
    let nothing = three_periods().bill_register(3_000, &[], (from, from), Tz::UTC);
    assert_eq!(kwh(&nothing), [(0, "3.000".to_owned())]);
}

#[test]
fn an_operators_figure_is_spread_in_the_shape_of_the_plausible_readings() {
    // The readings rose 1 000 Wh in the valley and 3 000 in the peak; the operator bills 2 000.
    let curve = [
        reading("2026-12-01T07:00:00Z", 0),
        reading("2026-12-01T08:00:00Z", 1_000),
        reading("2026-12-01T09:00:00Z", 4_000),
    ];
    let bill = three_periods().bill_register(2_000, &curve, (curve[0].at, curve[2].at), Tz::UTC);
    assert_eq!(kwh(&bill), [(0, "0.500".to_owned()), (1, "1.500".to_owned())]);
    assert_eq!(three_periods().bill_register(0, &curve, (curve[0].at, curve[2].at), Tz::UTC).total, Decimal::ZERO);
}

/// Never-decreasing readings 1 s to 3 h apart, some flat.
fn curves() -> impl Strategy<Value = Vec<Reading>> {
    (0i64..365 * 86_400, 0i64..1_000_000, prop::collection::vec((1i64..10_800, 0i64..30_000), 0..30)).prop_map(
        |(offset, first, steps)| {
            let mut at = utc("2026-01-01T00:00:00Z") + Duration::seconds(offset);
            let mut wh = first;
            let mut curve = vec![Reading { at, wh }];
            for (seconds, delta) in steps {
                at += Duration::seconds(seconds);
                wh += delta;
                curve.push(Reading { at, wh });
            }
            curve
        },
    )
}

proptest! {
    #[test]
    fn the_lines_hold_exactly_the_energy_billed_and_sum_to_the_total(
        tariff in tariffs(), curve in curves(), energy in 0i64..5_000_000, tz in zones(),
    ) {
        let window = (curve[0].at, curve[curve.len() - 1].at);
        let bill = tariff.bill_register(energy, &curve, window, tz);
        prop_assert_eq!(bill.energy_wh, Decimal::from(energy));
        let lines_kwh: Decimal = bill.lines.iter().map(|l| l.kwh).sum();
        prop_assert_eq!(lines_kwh, Decimal::new(energy, 3));
        let lines_total: Decimal = bill.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(bill.total, lines_total);
        prop_assert_eq!(bill.total, bill.energy_fee + bill.service_fee);
    }

    #[test]
    fn a_curve_from_start_to_stop_register_bills_as_its_forward_steps_do(
        tariff in tariffs(), curve in curves(), tz in zones(),
    ) {
        let energy = curve[curve.len() - 1].wh - curve[0].wh;
        let window = (curve[0].at, curve[curve.len() - 1].at);
        prop_assert_eq!(tariff.bill_register(energy, &curve, window, tz), tariff.bill(&curve, tz));
    }
}
