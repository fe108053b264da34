//! A connector's status as either OCPP version reports it, one type for both: stored as the
//! charger's own word (`as_str`), parsed once where it comes in.

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

impl ReportedStatus {
    pub const ALL: [ReportedStatus; 10] = [
        ReportedStatus::Available,
        ReportedStatus::Preparing,
        ReportedStatus::Charging,
        ReportedStatus::SuspendedEVSE,
        ReportedStatus::SuspendedEV,
        ReportedStatus::Finishing,
        ReportedStatus::Reserved,
        ReportedStatus::Unavailable,
        ReportedStatus::Faulted,
        ReportedStatus::Occupied,
    ];

    /// The charger's word, as stored and shown.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReportedStatus::Available => "Available",
            ReportedStatus::Preparing => "Preparing",
            ReportedStatus::Charging => "Charging",
            ReportedStatus::SuspendedEVSE => "SuspendedEVSE",
            ReportedStatus::SuspendedEV => "SuspendedEV",
            ReportedStatus::Finishing => "Finishing",
            ReportedStatus::Reserved => "Reserved",
            ReportedStatus::Unavailable => "Unavailable",
            ReportedStatus::Faulted => "Faulted",
            ReportedStatus::Occupied => "Occupied",
        }
    }

    /// The state its stored text names, if any.
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == stored)
    }
}

impl PartialEq<&str> for ReportedStatus {
    fn eq(&self, text: &&str) -> bool {
        self.as_str() == *text
    }
}

impl std::fmt::Display for ReportedStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
