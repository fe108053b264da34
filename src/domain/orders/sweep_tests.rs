use super::freed_at;
use crate::domain::chargers::records::Connector;
use crate::domain::orders::test_order::{at, order};
use chrono::{DateTime, Utc};

/// Connector 1 of PILE reported `status`, dated `status_at` by the charger, received at `received`.
fn connector(status: &str, status_at: DateTime<Utc>, received: DateTime<Utc>) -> Connector {
    Connector {
        charger_id: "PILE".into(),
        evse_id: 1,
        connector_id: 1,
        status: crate::domain::chargers::ReportedStatus::parse(status)
            .unwrap_or_else(|| panic!("no status {status:?}")),
        error_code: None,
        info: None,
        vendor_id: None,
        vendor_error_code: None,
        status_at,
        updated_at: received,
    }
}

#[test]
fn a_connector_that_reports_available_after_the_session_is_freed_then() {
    let freed = freed_at(&order(), &[connector("Available", at(10, 10), at(10, 10))], None);
    assert_eq!(freed, Some(at(10, 10)));
}

#[test]
fn an_available_dated_before_the_stop_frees_the_connector_at_the_stop() {
    let freed = freed_at(&order(), &[connector("Available", at(9, 59), at(10, 0))], None);
    assert_eq!(freed, Some(at(10, 0)));
}

#[test]
fn an_available_received_before_the_order_was_made_is_not_its_sessions_end_whatever_its_date() {
    // The pile said Available (by its clock, at noon) before replaying the morning's session.
    let mut replayed = order();
    replayed.created_at = at(12, 5);
    assert_eq!(freed_at(&replayed, &[connector("Available", at(12, 0), at(12, 0))], None), None);
}

#[test]
fn an_available_from_before_the_session_began_is_not_its_end() {
    assert_eq!(freed_at(&order(), &[connector("Available", at(8, 50), at(10, 5))], None), None);
}

#[test]
fn a_connector_still_occupied_is_freed_by_the_next_session_on_it() {
    let busy = [connector("Finishing", at(10, 0), at(10, 0))];
    assert_eq!(freed_at(&order(), &busy, None), None);
    assert_eq!(freed_at(&order(), &busy, Some(at(10, 15))), Some(at(10, 15)));
}

#[test]
fn the_earlier_of_available_and_the_next_session_frees_the_connector() {
    let available = [connector("Available", at(10, 20), at(10, 20))];
    assert_eq!(freed_at(&order(), &available, Some(at(10, 15))), Some(at(10, 15)));
}

#[test]
fn another_connectors_available_does_not_free_this_one() {
    let mut other = connector("Available", at(10, 10), at(10, 10));
    other.connector_id = 2;
    assert_eq!(freed_at(&order(), &[other], None), None);
}
