//! An order's states, as stored and as shown.

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Prepaid, waiting for its payment.
    PendingPayment,
    /// Paid (prepaid) or made (postpaid): ready to start.
    Ready,
    /// The remote start was sent; waiting for the charger's start.
    Starting,
    Charging,
    /// Charging ended, but its meter register cannot be billed without an operator (see
    /// `charging::metering`); the user and the connector are free, the money paid stays held.
    Review,
    Completed,
    Cancelled,
    Failed,
}

impl OrderStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "PENDING_PAYMENT",
            OrderStatus::Ready => "READY",
            OrderStatus::Starting => "STARTING",
            OrderStatus::Charging => "CHARGING",
            OrderStatus::Review => "REVIEW",
            OrderStatus::Completed => "COMPLETED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Failed => "FAILED",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "PENDING_PAYMENT" => OrderStatus::PendingPayment,
            "READY" => OrderStatus::Ready,
            "STARTING" => OrderStatus::Starting,
            "CHARGING" => OrderStatus::Charging,
            "REVIEW" => OrderStatus::Review,
            "COMPLETED" => OrderStatus::Completed,
            "CANCELLED" => OrderStatus::Cancelled,
            "FAILED" => OrderStatus::Failed,
            _ => return None,
        })
    }

    /// Before the charger started: the order may still be cancelled.
    pub const fn before_start(self) -> bool {
        matches!(self, OrderStatus::PendingPayment | OrderStatus::Ready | OrderStatus::Starting)
    }

    /// Still holding its user and connector.
    pub const fn live(self) -> bool {
        matches!(self, OrderStatus::PendingPayment | OrderStatus::Ready | OrderStatus::Starting | OrderStatus::Charging)
    }
}

/// How an order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMode {
    /// An amount paid before charging; the difference settled after.
    Prepaid,
    /// The bill taken from the balance after charging.
    Postpaid,
}

impl PayMode {
    pub const fn as_str(self) -> &'static str {
        match self {
            PayMode::Prepaid => "prepaid",
            PayMode::Postpaid => "postpaid",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "prepaid" => Some(PayMode::Prepaid),
            "postpaid" => Some(PayMode::Postpaid),
            _ => None,
        }
    }
}

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

impl PaymentStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "UNPAID",
            PaymentStatus::Paid => "PAID",
            PaymentStatus::Refunded => "REFUNDED",
        }
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
        use OrderStatus::*;
        for status in [PendingPayment, Ready, Starting, Charging, Review, Completed, Cancelled, Failed] {
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
