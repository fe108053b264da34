use super::Transition;
use crate::domain::orders::status::OrderStatus;
use crate::domain::orders::test_order::at;

fn change(to: &str, from: &[&str]) -> Transition {
    let status = |text: &str| OrderStatus::parse(text).unwrap_or_else(|| panic!("no status {text}"));
    Transition::new(status(to), &from.iter().map(|s| status(s)).collect::<Vec<_>>())
}

#[test]
fn a_start_a_failure_or_a_transaction_found_changes_no_figure_the_statistics_count() {
    let starting =
        Transition { remote_start_id: Some(7), lock_expires_at: Some(at(9, 0)), ..change("STARTING", &["READY"]) };
    assert!(!starting.counts());
    let charging = Transition {
        transaction_id: Some(3),
        started_at: Some(at(9, 1)),
        ..change("CHARGING", &["STARTING", "READY"])
    };
    assert!(!charging.counts());
    assert!(!change("FAILED", &["STARTING"]).counts());
}

#[test]
fn ending_an_order_or_moving_when_its_charging_ended_counts() {
    assert!(change("CANCELLED", &["PENDING_PAYMENT", "READY"]).counts());
    assert!(change("REVIEW", &["COMPLETED"]).counts());
    let suspended = Transition { charging_ended_at: Some(at(10, 0)), ..change("CHARGING", &["CHARGING"]) };
    assert!(suspended.counts());
    let resumed = Transition { resumed: true, ..change("CHARGING", &["CHARGING"]) };
    assert!(resumed.counts());
}

#[test]
fn a_start_moved_on_an_order_that_may_have_stopped_charging_counts() {
    let moved = Transition { started_at: Some(at(8, 0)), ..change("CHARGING", &["CHARGING"]) };
    assert!(moved.counts());
}
