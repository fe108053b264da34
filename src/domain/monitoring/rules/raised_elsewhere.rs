//! The kinds other areas raise and clear themselves — billing (a meter that cannot be billed by
//! itself), the money audit, refunds — registered with their level and title like every kind,
//! but judged by no rule here.

use super::{Kind, Level};

/// Raised by billing for a session's pile when its order waits in `REVIEW`.
pub(super) const METER_ANOMALY: Kind =
    Kind { name: "meter_anomaly", level: Level::Medium, title: "Meter anomaly", unit: None, rule: None };

/// Raised by the money audit for the platform (no pile).
pub(super) const LEDGER_MISMATCH: Kind =
    Kind { name: "ledger_mismatch", level: Level::High, title: "Ledger mismatch", unit: None, rule: None };

/// Raised by refunds for the refund's order's pile, or for the platform (a top-up's refund).
pub(super) const REFUND_ABNORMAL: Kind =
    Kind { name: "refund_abnormal", level: Level::Medium, title: "Refund abnormal", unit: None, rule: None };
