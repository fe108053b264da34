use super::*;
use serde_json::json;

fn parsed(kind: &str, value: serde_json::Value) -> Result<ChargeLimit, String> {
    ChargeLimit::parse(kind, &value)
}

#[test]
fn each_kind_is_kept_in_its_whole_unit_and_shown_in_the_unit_it_was_given_in() {
    let amount = parsed("amount", json!("30.5")).unwrap();
    assert_eq!((amount.kind, amount.value, amount.shown()), (LimitKind::Amount, 3_050, "30.50".to_owned()));
    let energy = parsed("energy", json!(12.5)).unwrap();
    assert_eq!((energy.kind, energy.value, energy.shown()), (LimitKind::Energy, 12_500, "12.5".to_owned()));
    let duration = parsed("duration", json!(3600)).unwrap();
    assert_eq!((duration.value, duration.shown(), duration.duration_s()), (3_600, "3600".to_owned(), Some(3_600)));
    let soc = parsed("soc", json!("80")).unwrap();
    assert_eq!((soc.kind, soc.value, soc.duration_s()), (LimitKind::Soc, 80, None));
    assert_eq!(ChargeLimit::stored(Some("energy"), Some(12_500)), Some(energy));
    assert_eq!(ChargeLimit::stored(Some("weight"), Some(1)), None);
    assert_eq!(LimitView::from(amount), LimitView { kind: "amount", value: "30.50".into() });
}

#[test]
fn a_target_out_of_range_too_precise_or_of_no_known_kind_is_refused_with_what_is_wrong() {
    for (kind, value, says) in [
        ("weight", json!(1), "is not amount, energy, duration or soc"),
        ("amount", json!("0"), "is not from 0.01 to 10000.00"),
        ("amount", json!("1.234"), "more than two decimal places"),
        ("amount", json!(-5), "is not from"),
        ("energy", json!(0.0001), "more than three decimal places"),
        ("energy", json!(1001), "is not from 0.001 to 1000"),
        ("duration", json!(59), "is not from 60 to 172800"),
        ("duration", json!(90.5), "whole seconds"),
        ("soc", json!(101), "is not from 1 to 100"),
        ("soc", json!(true), "is not a number"),
        ("soc", json!("lots"), "is not a number"),
        ("energy", json!("1e25"), "too large"),
        ("energy", json!("1e30"), "is not a number"),
    ] {
        let error = parsed(kind, value.clone()).unwrap_err();
        assert!(error.contains(says), "{kind} {value}: {error}");
    }
}

#[test]
fn a_target_is_reached_only_by_what_it_counts_and_only_once_it_is_read() {
    let now = Progress { cost: Some(Fen(2_999)), energy_wh: Some(9_999), elapsed_s: 3_599, soc: Some(79) };
    let targets = [("amount", json!("30")), ("energy", json!(10)), ("duration", json!(3600)), ("soc", json!(80))];
    for (kind, value) in &targets {
        assert!(!parsed(kind, value.clone()).unwrap().reached(&now), "{kind}");
    }
    let later = Progress { cost: Some(Fen(3_000)), energy_wh: Some(10_000), elapsed_s: 3_600, soc: Some(80) };
    for (kind, value) in &targets {
        assert!(parsed(kind, value.clone()).unwrap().reached(&later), "{kind}");
    }
    // Nothing read yet (no cost, no energy, no SoC): not reached, however long.
    let unread = Progress { elapsed_s: 100_000, ..Progress::default() };
    assert!(!parsed("soc", json!(1)).unwrap().reached(&unread));
    assert!(!parsed("amount", json!("0.01")).unwrap().reached(&unread));
}

#[test]
fn a_session_starts_with_the_sooner_of_the_stations_time_and_the_drivers_duration() {
    let half_hour = parsed("duration", json!(1800)).unwrap();
    let energy = parsed("energy", json!(5)).unwrap();
    assert_eq!(
        SessionLimits::of(Some(100_000), Some(7_200), Some(half_hour)),
        SessionLimits { max_power_w: Some(100_000), max_time_s: Some(1_800) }
    );
    assert_eq!(SessionLimits::of(None, Some(600), Some(half_hour)).max_time_s, Some(600));
    assert_eq!(SessionLimits::of(None, None, Some(energy)), SessionLimits::default());
}
