//! Counting later: whenever the catch-up runs, the rollups equal a count of the orders as they
//! are.

use super::*;
use crate::domain::ids::OrderNo;
use crate::domain::ledger::money::Fen;
use crate::domain::orders::OrderStatus;
use crate::domain::stats::rollup::DayFigures;
use crate::domain::units::Wh;
use chrono::Duration;
use proptest::prelude::*;

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-06-01T12:00:00Z").map(|t| t.to_utc()).unwrap_or_default()
        + Duration::minutes(minutes)
}

/// Order `n` at step `step` of its life: made, charging, completed (its bill growing) or
/// cancelled.
fn facts(n: usize, step: u8, bill: i64) -> OrderFacts {
    let made = at(n as i64 * 97);
    let mut facts = OrderFacts {
        charger_id: format!("P-{}", n % 3).as_str().into(),
        user_id: (n % 4) as i64,
        created_at: made,
        status: OrderStatus::Charging,
        completed_at: None,
        energy_wh: None,
        energy_fee_fen: None,
        service_fee_fen: None,
        total_fen: None,
        started_at: None,
        charging_ended_at: None,
    };
    match step {
        0 => facts.status = OrderStatus::Ready,
        1 => facts.started_at = Some(made + Duration::minutes(1)),
        2 => {
            facts.status = OrderStatus::Completed;
            facts.started_at = Some(made + Duration::minutes(1));
            facts.charging_ended_at = Some(made + Duration::minutes(600));
            facts.completed_at = Some(made + Duration::minutes(601));
            facts.energy_wh = Some(Wh(bill * 10));
            facts.energy_fee_fen = Some(Fen(bill));
            facts.service_fee_fen = Some(Fen(bill / 2));
            facts.total_fen = Some(Fen(bill + bill / 2));
        }
        _ => {
            facts.status = OrderStatus::Cancelled;
            facts.completed_at = Some(made + Duration::minutes(2));
        }
    }
    facts
}

/// The rollups: what the catch-ups wrote, summed.
#[derive(Default)]
struct Rollups {
    days: std::collections::BTreeMap<(String, chrono::NaiveDate), DayFigures>,
    users: std::collections::BTreeSet<crate::domain::stats::rollup::UserDay>,
    counted: std::collections::HashMap<OrderNo, Counted>,
}

impl Rollups {
    fn write(&mut self, counting: Counting) {
        for (key, figures) in counting.deltas.days {
            self.days.entry(key).or_default().add(&figures, 1);
        }
        self.users.extend(counting.deltas.users);
        self.counted.extend(counting.counted);
        self.days.retain(|_, figures| !figures.is_zero());
    }
}

fn due(order_no: &str, facts: &OrderFacts, counted: Option<&Counted>, zone: Tz) -> DueOrder {
    DueOrder {
        order_no: OrderNo::parse(order_no).unwrap_or_else(|e| panic!("{e}")),
        facts: facts.clone(),
        counted: counted.cloned(),
        zone: Some(zone),
        signed_up: Some(at(-3_000)),
    }
}

proptest! {
    /// Orders change (their steps, their bills, their station's zone) and the catch-up runs
    /// now and then over whatever is due: the rollups always end as one count of the orders as
    /// they are, in the zone of now.
    #[test]
    fn catching_up_at_any_moment_leaves_the_rollups_equal_to_a_count_of_the_orders_as_they_are(
        changes in proptest::collection::vec((0usize..6, 0u8..4, 1i64..5_000, any::<bool>(), any::<bool>()), 1..40),
    ) {
        let zones = [chrono_tz::Asia::Shanghai, chrono_tz::America::Santiago];
        let mut now: std::collections::BTreeMap<String, OrderFacts> = Default::default();
        let mut due_now: std::collections::BTreeSet<String> = Default::default();
        let mut zone = zones[0];
        let mut rollups = Rollups::default();
        for (n, step, bill, moved, catch_up) in changes {
            let order_no = format!("O{n}");
            now.insert(order_no.clone(), facts(n, step, bill));
            due_now.insert(order_no);
            if moved {
                // The station's zone changes: its orders are counted anew.
                zone = if zone == zones[0] { zones[1] } else { zones[0] };
                rollups = Rollups::default();
                due_now.extend(now.keys().cloned());
            }
            if catch_up {
                let batch = DueBatch {
                    orders: due_now.iter().map(|no| due(no, &now[no], rollups.counted.get(no.as_str()), zone)).collect(),
                    refunds: Vec::new(),
                };
                rollups.write(count(&batch));
                due_now.clear();
            }
        }
        let batch = DueBatch {
            orders: due_now.iter().map(|no| due(no, &now[no], rollups.counted.get(no.as_str()), zone)).collect(),
            refunds: Vec::new(),
        };
        rollups.write(count(&batch));
        let all = DueBatch { orders: now.iter().map(|(no, f)| due(no, f, None, zone)).collect(), refunds: Vec::new() };
        let fresh = count(&all);
        prop_assert_eq!(&rollups.days, &fresh.deltas.days);
        prop_assert_eq!(&rollups.users, &fresh.deltas.users);
    }
}

#[test]
fn an_order_counted_as_it_is_adds_nothing_and_a_pile_in_no_station_counts_nowhere() {
    let order = facts(1, 2, 900);
    let counted = Counted { facts: order.clone(), zone: chrono_tz::UTC };
    let same = due("O1", &order, Some(&counted), chrono_tz::UTC);
    let nowhere = DueOrder { zone: None, ..due("O2", &facts(2, 2, 900), None, chrono_tz::UTC) };
    let counting = count(&DueBatch { orders: vec![same, nowhere], refunds: Vec::new() });
    assert!(counting.deltas.days.is_empty() && counting.deltas.users.is_empty());
    assert_eq!(
        counting.counted.into_iter().map(|(no, c)| (no.into_string(), c)).collect::<Vec<_>>(),
        vec![("O1".to_owned(), counted)]
    );
}

#[test]
fn refunds_count_on_their_day_unless_they_failed_or_belong_to_no_pile() {
    let refund = |no: &str, pile: Option<&str>, counts| DueRefund {
        refund_no: no.into(),
        pile: pile.map(|p| (p.into(), chrono_tz::Asia::Shanghai)),
        at: at(0),
        amount_fen: 300,
        counts,
    };
    let batch = DueBatch {
        orders: Vec::new(),
        refunds: vec![refund("R1", Some("P-1"), true), refund("R2", Some("P-1"), false), refund("R3", None, true)],
    };
    let counting = count(&batch);
    let figures: Vec<i64> = counting.deltas.days.values().map(|f| f.refunds_fen).collect();
    assert_eq!(figures, vec![300]);
}
