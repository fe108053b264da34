//! MQTT pile messages: a message of a topic csms does not know counts as `unknown`.

use super::MQTT_MESSAGES;

/// The topic families (`heartbeat`, `charging/status`, `charging/finished`, commands sent).
pub const FAMILIES: [&str; 5] = ["heartbeat", "status", "finished", "command", "unknown"];
/// What became of a message: stored; the pile's last will (offline); refused as malformed
/// JSON, from an unknown pile, with another pile's code than its topic's, with a value out of
/// range, or about an order not running on the pile (answered with a stop); failed to store;
/// a command published, or not.
pub const OUTCOMES: [&str; 10] = [
    "stored",
    "offline",
    "malformed",
    "unknown_pile",
    "code_mismatch",
    "out_of_range",
    "not_running",
    "failed",
    "published",
    "unpublished",
];

/// Counts a message.
pub fn message(family: &'static str, outcome: &'static str) {
    metrics::counter!(MQTT_MESSAGES, "topic_family" => family, "outcome" => outcome).increment(1);
}

pub(super) fn zero() {
    for family in FAMILIES {
        for outcome in OUTCOMES {
            metrics::counter!(MQTT_MESSAGES, "topic_family" => family, "outcome" => outcome).increment(0);
        }
    }
}
