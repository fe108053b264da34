//! What a charger may send before its BootNotification is Accepted. Pending: BootNotification and
//! what the CSMS asked it for — a message requested by TriggerMessage (OCPP 1.6 §4.2.1, 2.0.1
//! B02.FR.09, also the 1.6 security extension's ExtendedTriggerMessage) or the NotifyReport of a
//! GetBaseReport/GetReport. Rejected (or disabled): BootNotification only (2.0.1 B03.FR.07).
//! Anything else is answered SecurityError.

use crate::domain::chargers::BootDecision;
use crate::domain::chargers::records::Registration;
use protocol::{CallErrorCode, RpcError};
use serde_json::Value;

/// The gate of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Accepted at its last boot, or registered and connected again without rebooting.
    Open,
    /// Pending: BootNotification and the actions the CSMS asked for since.
    Pending { asked: Vec<&'static str> },
    /// Rejected or disabled: BootNotification only.
    Closed,
}

impl Gate {
    /// The gate of a charger that has just connected (it need not boot again to operate).
    pub(crate) fn connected(registration: Registration) -> Self {
        match registration {
            Registration::Registered => Gate::Open,
            Registration::Pending => Gate::Pending { asked: Vec::new() },
            Registration::Disabled => Gate::Closed,
        }
    }

    /// The gate after a BootNotification was answered.
    pub(crate) fn booted(decision: &BootDecision) -> Self {
        match decision {
            BootDecision::Accepted { .. } => Gate::Open,
            BootDecision::Pending { .. } => Gate::Pending { asked: Vec::new() },
            BootDecision::Rejected { .. } => Gate::Closed,
        }
    }

    /// Notes a call sent to the charger: while pending, what it asks for may be sent back.
    pub(crate) fn commanded(&mut self, action: &str, payload: &Value) {
        let Gate::Pending { asked } = self else { return };
        let answers: &[&'static str] = match action {
            "TriggerMessage" | "ExtendedTriggerMessage" => {
                payload.get("requestedMessage").and_then(Value::as_str).map_or(&[], triggered)
            }
            "GetBaseReport" | "GetReport" => &["NotifyReport"],
            _ => &[],
        };
        for answer in answers {
            if !asked.contains(answer) {
                asked.push(answer);
            }
        }
    }

    /// Whether `action` may come in now; SecurityError otherwise.
    pub(crate) fn check(&self, action: &str) -> Result<(), RpcError> {
        let allowed = action == "BootNotification"
            || match self {
                Gate::Open => true,
                Gate::Pending { asked } => asked.contains(&action),
                Gate::Closed => false,
            };
        if allowed {
            return Ok(());
        }
        let state = if matches!(self, Gate::Closed) { "rejected" } else { "pending" };
        Err(RpcError::new(
            CallErrorCode::SecurityError,
            format!("{action} from a {state} charger that was not asked for it"),
        ))
    }
}

/// The actions a TriggerMessage's `requestedMessage` may make the charger send.
fn triggered(requested: &str) -> &'static [&'static str] {
    match requested {
        "BootNotification" => &["BootNotification"],
        "DiagnosticsStatusNotification" => &["DiagnosticsStatusNotification"],
        // After a signed update (1.6 security extension) the answer is the signed kind.
        "FirmwareStatusNotification" => &["FirmwareStatusNotification", "SignedFirmwareStatusNotification"],
        "Heartbeat" => &["Heartbeat"],
        "LogStatusNotification" => &["LogStatusNotification"],
        "MeterValues" => &["MeterValues"],
        "PublishFirmwareStatusNotification" => &["PublishFirmwareStatusNotification"],
        "StatusNotification" => &["StatusNotification"],
        "TransactionEvent" => &["TransactionEvent"],
        // 1.6's SignChargePointCertificate, 2.0.1's three kinds: all answered by SignCertificate.
        "SignChargePointCertificate"
        | "SignChargingStationCertificate"
        | "SignV2GCertificate"
        | "SignCombinedCertificate" => &["SignCertificate"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pending_charger_may_send_what_it_was_asked_for_and_nothing_else() {
        let mut gate = Gate::connected(Registration::Pending);
        assert!(gate.check("BootNotification").is_ok());
        assert!(gate.check("Heartbeat").is_err());
        gate.commanded("TriggerMessage", &json!({"requestedMessage": "Heartbeat"}));
        gate.commanded("GetBaseReport", &json!({"requestId": 1, "reportBase": "FullInventory"}));
        gate.commanded("TriggerMessage", &json!({"requestedMessage": "SignV2GCertificate"}));
        gate.commanded("ExtendedTriggerMessage", &json!({"requestedMessage": "FirmwareStatusNotification"}));
        for asked in ["Heartbeat", "NotifyReport", "SignCertificate", "SignedFirmwareStatusNotification"] {
            assert!(gate.check(asked).is_ok(), "{asked}");
        }
        let refused = gate.check("StartTransaction").unwrap_err();
        assert_eq!(refused.code, CallErrorCode::SecurityError);
    }

    #[test]
    fn a_rejected_charger_may_only_boot_whatever_it_was_asked() {
        let mut gate = Gate::booted(&BootDecision::Rejected { interval_s: 60 });
        gate.commanded("TriggerMessage", &json!({"requestedMessage": "Heartbeat"}));
        assert!(gate.check("Heartbeat").is_err());
        assert!(gate.check("BootNotification").is_ok());
        assert!(Gate::booted(&BootDecision::Accepted { interval_s: 300 }).check("StartTransaction").is_ok());
    }
}
