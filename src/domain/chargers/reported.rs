//! A connector's status as either OCPP version reports it, one type for both: stored as the
//! charger's own word (`as_str`), parsed once where it comes in.

use crate::domain::stored_text::stored_text;

/// A connector's status as its charger reports it: 1.6's `ChargePointStatus` and 2.0.1's `ConnectorStatusEnumType`
/// together (`Available`, `Reserved`, `Unavailable` and `Faulted` are both versions'; 2.0.1's
/// `Occupied` is 1.6's `Preparing` to `Finishing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportedStatus {
    Available,
    /// 1.6: plugged in or authorized, not charging yet.
    Preparing,
    /// 1.6: energy flows.
    Charging,
    /// 1.6: the charger suspends the energy.
    SuspendedEVSE,
    /// 1.6: the vehicle suspends the energy.
    SuspendedEV,
    /// 1.6: stopped, not yet available again.
    Finishing,
    Reserved,
    Unavailable,
    Faulted,
    /// 2.0.1: in use (1.6's Preparing to Finishing).
    Occupied,
}

stored_text!(ReportedStatus {
    Available => "Available",
    Preparing => "Preparing",
    Charging => "Charging",
    SuspendedEVSE => "SuspendedEVSE",
    SuspendedEV => "SuspendedEV",
    Finishing => "Finishing",
    Reserved => "Reserved",
    Unavailable => "Unavailable",
    Faulted => "Faulted",
    Occupied => "Occupied",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reported_status_reads_back_from_its_stored_text_and_no_other_text_names_one() {
        for state in ReportedStatus::ALL {
            assert_eq!(ReportedStatus::parse(state.as_str()), Some(state));
            assert!(state == state.as_str());
        }
        for other in ["available", "SuspendedEvse", "", "Offline"] {
            assert_eq!(ReportedStatus::parse(other), None, "{other:?}");
        }
    }
}
