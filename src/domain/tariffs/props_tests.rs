//! Properties of pricing over random tariffs, zones and sessions: exact splitting, lines that sum
//! to the totals, proportional splits, round trips, and validation of random partitions.

use super::test_support::{date, partition, tariffs, utc, valid, zones};
use super::*;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use std::str::FromStr;

/// A session: start within 2026, steps of 1 s to 3 h, mostly forward energy with some resets.
fn sessions() -> impl Strategy<Value = Vec<Reading>> {
    (0i64..365 * 86_400, -1_000i64..1_000_000, prop::collection::vec((1i64..10_800, -2_000i64..30_000), 1..40))
        .prop_map(|(offset, first, steps)| {
            let mut at = utc("2026-01-01T00:00:00Z") + Duration::seconds(offset);
            let mut wh = first;
            let mut readings = vec![Reading { at, wh }];
            for (seconds, delta) in steps {
                at += Duration::seconds(seconds);
                wh += delta;
                readings.push(Reading { at, wh });
            }
            readings
        })
}

fn forward_wh(readings: &[Reading]) -> i64 {
    readings.windows(2).map(|w| (w[1].wh - w[0].wh).max(0)).sum()
}

proptest! {
    #[test]
    fn the_lines_kwh_sum_exactly_to_the_forward_register_delta(
        tariff in tariffs(), readings in sessions(), tz in zones(),
    ) {
        let bill = tariff.bill(&readings, tz);
        let expected = forward_wh(&readings);
        prop_assert_eq!(bill.energy_wh, Decimal::from(expected));
        prop_assert_eq!(bill.kwh, Decimal::new(expected, 3));
        let lines_kwh = bill.lines.iter().fold(Decimal::ZERO, |a, l| a + l.kwh);
        prop_assert_eq!(lines_kwh, bill.kwh);
    }

    #[test]
    fn the_lines_sum_to_the_totals_and_each_fee_is_rounded_once(
        tariff in tariffs(), readings in sessions(), tz in zones(),
    ) {
        let bill = tariff.bill(&readings, tz);
        let mut last_period = None;
        for line in &bill.lines {
            prop_assert!(line.kwh > Decimal::ZERO);
            prop_assert!(last_period < Some(line.period), "one line per period, in period order");
            last_period = Some(line.period);
            prop_assert_eq!(line.kwh.scale(), 3);
            prop_assert_eq!(line.energy_fee, money(line.kwh * line.energy_price));
            prop_assert_eq!(line.service_fee, money(line.kwh * line.service_fee_rate));
            prop_assert_eq!(line.amount, line.energy_fee + line.service_fee);
        }
        let energy: Decimal = bill.lines.iter().map(|l| l.energy_fee).sum();
        let service: Decimal = bill.lines.iter().map(|l| l.service_fee).sum();
        let amounts: Decimal = bill.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(bill.energy_fee, energy);
        prop_assert_eq!(bill.service_fee, service);
        prop_assert_eq!(bill.total, amounts);
    }

    #[test]
    fn energy_drawn_within_one_period_goes_wholly_to_it(
        tariff in tariffs(), tz in zones(), start in 0i64..365 * 86_400, wh in prop::collection::vec(0i64..5_000, 1..10),
    ) {
        // Samples every second from `start` up to the end of the period in force at `start`.
        let first = utc("2026-01-01T00:00:00Z") + Duration::seconds(start);
        let period = tariff.period_at(first, tz);
        let mut readings = vec![Reading { at: first, wh: 0 }];
        for (i, step) in wh.iter().enumerate() {
            let at = first + Duration::seconds(i64::try_from(i + 1).unwrap_or(0));
            if tariff.period_at(at, tz) != period || tariff.period_at(at - Duration::milliseconds(1), tz) != period {
                break;
            }
            readings.push(Reading { at, wh: readings.last().map_or(0, |r| r.wh) + step });
        }
        let bill = tariff.bill(&readings, tz);
        prop_assert!(bill.lines.iter().all(|l| l.period == period));
        prop_assert_eq!(bill.energy_wh, Decimal::from(forward_wh(&readings)));
    }

    #[test]
    fn an_interval_straddling_one_boundary_is_split_in_proportion_to_time(
        boundary in 60u32..MINUTES_PER_DAY - 60, before in 1i64..3_600_000, after in 1i64..3_600_000, energy in 1i64..10_000_000,
    ) {
        let tariff = valid(partition(&[0, boundary], 0, &[(3_500, 4_000), (7_000, 6_000)]));
        let at = utc("2026-12-01T00:00:00Z") + Duration::minutes(i64::from(boundary));
        let readings = [
            Reading { at: at - Duration::milliseconds(before), wh: 0 },
            Reading { at: at + Duration::milliseconds(after), wh: energy },
        ];
        let bill = tariff.bill(&readings, Tz::UTC);
        let wh_in = |period: usize| {
            bill.lines.iter().find(|l| l.period == period).map_or(0i128, |l| (l.kwh * Decimal::from(1000)).to_i128().unwrap_or(-1))
        };
        // The first period's whole Wh are within one Wh of the exact share of time.
        let exact_times_span = i128::from(energy) * i128::from(before);
        let span = i128::from(before + after);
        prop_assert!((wh_in(0) * span - exact_times_span).abs() < span);
        prop_assert_eq!(wh_in(0) + wh_in(1), i128::from(energy));
    }

    #[test]
    fn a_tariff_copied_through_json_bills_identically(
        tariff in tariffs(), readings in sessions(), tz in zones(),
    ) {
        let text = serde_json::to_string(&tariff).expect("serializes");
        let copy: Tariff = serde_json::from_str(&text).expect("reads back");
        prop_assert_eq!(&copy, &tariff);
        prop_assert_eq!(copy.bill(&readings, tz), tariff.bill(&readings, tz));
        prop_assert_eq!(Tariff::from_spec(tariff.spec(), date("2030-01-01")), Ok(tariff.clone()));
    }

    #[test]
    fn readings_in_any_order_bill_the_same(
        tariff in tariffs(), readings in sessions(), tz in zones(), seed in any::<u64>(),
    ) {
        let mut shuffled = readings.clone();
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            shuffled.swap(i, usize::try_from(state >> 33).unwrap_or(0) % (i + 1));
        }
        prop_assert_eq!(tariff.bill(&shuffled, tz), tariff.bill(&readings, tz));
    }

    #[test]
    fn a_partition_of_the_day_is_valid_and_a_missing_or_doubled_period_is_not(
        set in prop::collection::btree_set(0u32..MINUTES_PER_DAY, 2..8), rotate in any::<usize>(), drop in any::<usize>(),
    ) {
        let boundaries: Vec<u32> = set.into_iter().collect();
        let periods = partition(&boundaries, rotate, &[(1, 1)]);
        let tariff = valid(periods.clone());
        for minute in 0..MINUTES_PER_DAY {
            prop_assert_eq!(tariff.periods.iter().filter(|p| p.covers(minute)).count(), 1);
        }
        let spec = |periods: Vec<PeriodSpec>| TariffSpec { valid_from: None, periods, occupancy: None };
        let mut missing = periods.clone();
        let gone = missing.remove(drop % periods.len());
        let error = Tariff::from_spec(spec(missing), date("2026-12-01")).expect_err("a gap");
        prop_assert_eq!(error, TariffError::Gap { from: gone.start.clone(), to: gone.end.clone() });
        let mut doubled = periods.clone();
        doubled.push(gone.clone());
        let error = Tariff::from_spec(spec(doubled), date("2026-12-01")).expect_err("an overlap");
        prop_assert_eq!(error, TariffError::Overlap { from: gone.start, to: gone.end, times: 2 });
    }

    #[test]
    fn money_text_has_two_places_and_reads_back_as_the_rounded_amount(mantissa in any::<i64>(), scale in 0u32..10) {
        let amount = Decimal::new(mantissa, scale);
        let text = money_string(amount);
        let (_, fraction) = text.split_once('.').expect("a decimal point");
        prop_assert_eq!(fraction.len(), 2);
        prop_assert_eq!(Decimal::from_str(&text).expect("decimal text"), money(amount));
    }
}

#[test]
fn a_tariff_in_force_is_the_latest_that_has_started() {
    let mut older = valid(partition(&[0], 0, &[(3_500, 4_000)]));
    older.valid_from = date("2026-01-01");
    let mut newer = older.clone();
    newer.valid_from = date("2026-12-01");
    let tariffs = [newer.clone(), older.clone()];
    assert_eq!(tariff_in_force(&tariffs, date("2025-12-31")), None);
    assert_eq!(tariff_in_force(&tariffs, date("2026-11-30")), Some(&older));
    assert_eq!(tariff_in_force(&tariffs, date("2026-12-01")), Some(&newer));
}

#[test]
fn the_same_session_billed_before_and_after_a_tariff_change_keeps_its_tariff() {
    // An order keeps its copy of the tariff; a new tariff is another value and changes nothing.
    let at = |s: &str| -> DateTime<Utc> { utc(s) };
    let readings =
        [Reading { at: at("2026-12-01T08:00:00Z"), wh: 0 }, Reading { at: at("2026-12-01T09:00:00Z"), wh: 1000 }];
    let copied: Tariff =
        serde_json::from_str(&serde_json::to_string(&valid(partition(&[0], 0, &[(3_500, 4_000)]))).expect("json"))
            .expect("reads back");
    let before = copied.bill(&readings, Tz::UTC);
    let _changed = valid(partition(&[0], 0, &[(9_000, 9_000)]));
    assert_eq!(copied.bill(&readings, Tz::UTC), before);
    assert_eq!(before.total, Decimal::new(75, 2));
}
