//! An order's states, as stored and as shown.

pub use crate::domain::order_status::OrderStatus;
use crate::domain::stored_text::stored_text;

/// How an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMode {
    /// An amount paid before charging; the difference settled after.
    Prepaid,
    /// The bill taken from the balance after charging.
    Postpaid,
}

stored_text!(PayMode { Prepaid => "prepaid", Postpaid => "postpaid" });

/// Whether an order's money is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Nothing owed is paid yet (a prepaid order before its payment, a bill the balance did not
    /// cover).
    Unpaid,
    /// What is owed is paid.
    Paid,
    /// Given back: a cancelled or failed order's payment.
    Refunded,
}

stored_text!(PaymentStatus { Unpaid => "UNPAID", Paid => "PAID", Refunded => "REFUNDED" });

/// Why an order's session stopped: `LIMIT_REACHED` when csms stopped it for a limit
/// (`limit_reached`) and the charger says it stopped remotely; else the charger's reason.
pub fn order_stop_reason(ocpp: Option<&str>, limit_reached: bool) -> &'static str {
    match ocpp {
        Some("Remote") if limit_reached => "LIMIT_REACHED",
        _ => stop_reason(ocpp),
    }
}

/// Why a charger stopped, in the order's words (the seed's stop reasons), from OCPP's reason.
pub fn stop_reason(ocpp: Option<&str>) -> &'static str {
    match ocpp.unwrap_or("Local") {
        "Remote" => "USER_STOP",
        "EVDisconnected" | "Local" | "StoppedByEV" => "UNPLUGGED_OR_LOCAL",
        "EnergyLimitReached" | "SOCLimitReached" | "TimeLimitReached" | "CostLimitReached" => "LIMIT_REACHED",
        "EmergencyStop"
        | "GroundFault"
        | "OvercurrentFault"
        | "PowerLoss"
        | "PowerQuality"
        | "Reboot"
        | "HardReset"
        | "SoftReset"
        | "UnlockCommand"
        | "DeAuthorized"
        | "EVCommunicationLost"
        | "ImmediateReset"
        | "LocalOutOfCredit"
        | "MasterPass"
        | "OvervoltageFault"
        | "Timeout"
        | "UndervoltageFault"
        | "PowerLossAtStartup" => "FAULT",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_as_itself() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("charging"), None);
    }

    #[test]
    fn ocpp_stop_reasons_map_to_the_orders_own() {
        assert_eq!(stop_reason(Some("Remote")), "USER_STOP");
        assert_eq!(stop_reason(Some("EVDisconnected")), "UNPLUGGED_OR_LOCAL");
        assert_eq!(stop_reason(None), "UNPLUGGED_OR_LOCAL");
        assert_eq!(stop_reason(Some("SOCLimitReached")), "LIMIT_REACHED");
        assert_eq!(stop_reason(Some("EmergencyStop")), "FAULT");
        assert_eq!(stop_reason(Some("Whatever")), "OTHER");
    }
}
