//! OCPP 1.6 messages a simulated charger sends often, built in one place.

use chrono::{DateTime, Utc};
use protocol::v16;

/// A StatusNotification of connector `connector_id`, without error, as of `at`.
pub fn status_notification(
    connector_id: i32,
    status: v16::ChargePointStatus,
    at: Option<DateTime<Utc>>,
) -> v16::StatusNotificationRequest {
    v16::StatusNotificationRequest {
        connector_id,
        error_code: v16::ChargePointErrorCode::NoError,
        info: None,
        status,
        timestamp: at,
        vendor_id: None,
        vendor_error_code: None,
    }
}
