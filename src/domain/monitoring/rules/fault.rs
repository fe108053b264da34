//! `fault` (high): a connector reported `Faulted` raises with its error code; the pile's alarm
//! clears once a connector reports another status while none of the others is faulted.

use super::{Kind, Level, Reported, Rule, Verdict};
use crate::config::MonitoringSettings;

pub(super) const KIND: Kind =
    Kind { name: "fault", level: Level::High, title: "Fault", unit: None, rule: Some(&Fault) };

/// Judges each connector status.
#[derive(Debug)]
struct Fault;

impl Rule for Fault {
    fn judge(&self, _settings: &MonitoringSettings, reported: &Reported<'_>) -> Verdict {
        match reported {
            Reported::Status { status, others_faulted } => fault(
                &status.status,
                status.error_code.as_deref(),
                (status.evse_id, status.connector_id),
                *others_faulted,
            ),
            _ => Verdict::Keep,
        }
    }
}

/// A connector's status: `Faulted` raises with its error code; any other clears when no other
/// connector of the pile is faulted (`others_faulted`).
fn fault(status: &str, error_code: Option<&str>, connector: (i32, i32), others_faulted: bool) -> Verdict {
    if status == "Faulted" {
        let code = error_code.filter(|c| !c.is_empty()).unwrap_or("no error code");
        Verdict::Raise {
            message: format!("connector {}/{} is Faulted: {code}", connector.0, connector.1),
            value: code.to_owned(),
        }
    } else if others_faulted {
        Verdict::Keep
    } else {
        Verdict::Clear
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::monitoring::live::ConnectorStatus;
    use chrono::Utc;

    #[test]
    fn a_faulted_connector_raises_with_its_error_code_and_clears_when_no_connector_is_faulted() {
        assert!(
            matches!(fault("Faulted", Some("GroundFailure"), (0, 1), false), Verdict::Raise { value, .. } if value == "GroundFailure")
        );
        assert_eq!(fault("Available", None, (0, 1), true), Verdict::Keep);
        assert_eq!(fault("Available", None, (0, 1), false), Verdict::Clear);
    }

    #[test]
    fn the_rule_judges_statuses_only() {
        let s = Settings::defaults().unwrap().monitoring;
        let status =
            ConnectorStatus { evse_id: 1, connector_id: 2, status: "Faulted".into(), error_code: None, at: Utc::now() };
        let verdict = Fault.judge(&s, &Reported::Status { status: &status, others_faulted: false });
        assert!(
            matches!(verdict, Verdict::Raise { message, value } if message == "connector 1/2 is Faulted: no error code" && value == "no error code")
        );
        assert_eq!(Fault.judge(&s, &Reported::Heard), Verdict::Keep);
    }
}
