//! Tests of putting the figures together (`figures`): from the sums SQL makes to the answer.

use super::*;
use crate::domain::ledger::money::Fen;
use crate::domain::stats::records::Bucket;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).unwrap_or_default()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

fn query(group_by: GroupBy) -> StatsQuery {
    StatsQuery { from: day("2026-12-01"), to: day("2026-12-03"), group_by, station: None }
}

fn plan(query: &StatsQuery) -> Vec<ZonePlan> {
    vec![ZonePlan::new(query, "UTC", chrono_tz::UTC)]
}

fn edge(unit: &str, key: &str, count: i64, seconds_to_end: f64) -> ChargingEdges {
    ChargingEdges { unit: unit.into(), zone: "UTC".into(), key: key.into(), count, seconds_to_end }
}

/// One pile of two connectors: a session charging since before the range ends on day one at
/// 06:00; another charges from 20:00 on day one to 02:00 on day two.
fn two_sessions(unit: &str, day_keys: bool) -> Aggregates {
    let (first, second) = if day_keys { ("2026-12-01", "2026-12-02") } else { ("", "") };
    let mut sums = Aggregates {
        units: vec![UnitRow { unit: unit.into(), zone: "UTC".into(), connectors: 2 }],
        charging_at: vec![ChargingAt { unit: unit.into(), zone: "UTC".into(), sessions: 1 }],
        ..Default::default()
    };
    if day_keys {
        sums.starts = vec![edge(unit, first, 1, 4.0 * 3600.0)];
        sums.ends = vec![edge(unit, first, 1, 18.0 * 3600.0), edge(unit, second, 1, 22.0 * 3600.0)];
    } else {
        // One window of two days: the ends are 42 h and 22 h before its end, the start 28 h.
        sums.starts = vec![edge(unit, "", 1, 28.0 * 3600.0)];
        sums.ends = vec![edge(unit, "", 2, 64.0 * 3600.0)];
    }
    sums
}

#[test]
fn time_charging_is_carried_from_window_to_window_by_the_sessions_still_charging() {
    let q = query(GroupBy::Day);
    let (groups, total) = assemble(&q, &plan(&q), at("2027-01-01T00:00:00Z"), &two_sessions("", true));
    let charging: Vec<(&str, f64, f64)> =
        groups.iter().map(|(key, f)| (key.as_str(), f.charging_s, f.capacity_s)).collect();
    // Six hours and four on day one, two on day two, of 2 × 24 connector-hours a day.
    assert_eq!(charging, vec![("2026-12-01", 36_000.0, 172_800.0), ("2026-12-02", 7_200.0, 172_800.0)]);
    assert_eq!(groups.iter().map(|(_, f)| f.utilisation()).collect::<Vec<_>>(), vec![0.2083, 0.0417]);
    assert_eq!(total.utilisation(), 0.125);
}

#[test]
fn a_whole_range_window_gives_the_same_time_as_its_days() {
    let q = query(GroupBy::Pile);
    let (groups, total) = assemble(&q, &plan(&q), at("2027-01-01T00:00:00Z"), &two_sessions("P-1", false));
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].0.as_str(), groups[0].1.charging_s, groups[0].1.capacity_s), ("P-1", 43_200.0, 345_600.0));
    assert_eq!(total.utilisation(), 0.125);
}

#[test]
fn connector_time_stops_at_now() {
    let q = query(GroupBy::Day);
    let mut sums = two_sessions("", true);
    // Now is noon on day two: the end at 02:00 is ten hours before the window's end, and a
    // session started at 10:00 charges still.
    sums.ends[1].seconds_to_end = 10.0 * 3600.0;
    sums.starts.push(edge("", "2026-12-02", 1, 2.0 * 3600.0));
    let (groups, _) = assemble(&q, &plan(&q), at("2026-12-02T12:00:00Z"), &sums);
    assert_eq!(groups[1].1.capacity_s, 2.0 * 12.0 * 3600.0);
    assert_eq!(groups[1].1.charging_s, (2.0 + 2.0) * 3600.0);
    assert_eq!(groups[1].1.utilisation(), 0.1667);
    let before: Vec<Bucket> = plan(&q)[0].windows(at("2026-11-01T00:00:00Z"));
    assert!(before.iter().all(|w| w.lo == w.hi));
}

#[test]
fn counts_and_money_land_in_their_groups_and_users_are_taken_whole_for_the_total() {
    let q = query(GroupBy::Station);
    let sums = Aggregates {
        units: vec![
            UnitRow { unit: "ST-B".into(), zone: "UTC".into(), connectors: 0 },
            UnitRow { unit: "ST-A".into(), zone: "UTC".into(), connectors: 2 },
        ],
        created: vec![
            CreatedRow { group: "ST-A".into(), created: 3, active: 2, new: 1 },
            CreatedRow { group: "ST-B".into(), created: 1, active: 1, new: 0 },
        ],
        users_total: CreatedRow { group: String::new(), created: 4, active: 2, new: 1 },
        ended: vec![EndedRow {
            group: "ST-A".into(),
            completed: 2,
            cancelled: 1,
            energy_wh: 12_345,
            energy_fee_fen: Fen(500),
            service_fee_fen: Fen(300),
            total_fen: Fen(850),
        }],
        refunds: vec![
            RefundRow { group: "ST-A".into(), refunds_fen: Fen(100) },
            RefundRow { group: "gone".into(), refunds_fen: Fen(7) },
        ],
        ..Default::default()
    };
    let (groups, total) = assemble(&q, &plan(&q), at("2027-01-01T00:00:00Z"), &sums);
    assert_eq!(groups.iter().map(|(key, _)| key.as_str()).collect::<Vec<_>>(), ["ST-A", "ST-B"]);
    assert_eq!((total.created, total.completed, total.cancelled, total.refunds_fen.get()), (4, 2, 1, 100));
    assert_eq!((total.active_users, total.new_users), (2, 1));
    assert_eq!((groups[1].1.capacity_s, groups[1].1.utilisation()), (0.0, 0.0));

    let report = StatsReport::new(&q, groups, &total);
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["groupBy"], "station");
    assert_eq!(json["from"], "2026-12-01");
    assert_eq!(json["station"], serde_json::Value::Null);
    let a = &json["groups"][0];
    assert_eq!(a["key"], "ST-A");
    assert_eq!(a["orders"], serde_json::json!({"created": 3, "completed": 2, "cancelled": 1}));
    assert_eq!(a["energyKwh"], "12.345");
    assert_eq!(
        a["revenue"],
        serde_json::json!({"energyFee": "5.00", "serviceFee": "3.00", "total": "8.50", "refunds": "1.00"})
    );
    assert_eq!(a["users"], serde_json::json!({"new": 1, "active": 2}));
    assert_eq!(json["groups"][1]["energyKwh"], "0.000");
    assert_eq!(json["total"]["revenue"]["total"], "8.50");
    assert!(json["total"].get("key").is_none());
}
