//! `[monitoring]`: the alarm rules' thresholds, how long raw samples are kept, how long a pile's
//! live status stays in the cache, and the optional alarm webhook.

use super::redact;
use serde::Deserialize;
use std::fmt;

/// `[monitoring]`.
#[derive(Clone, Deserialize)]
pub struct MonitoringSettings {
    /// A temperature above this (°C) raises the over-temperature alarm (high).
    pub temperature_max_c: f64,
    /// … and it clears once back below the threshold minus this.
    pub temperature_hysteresis_c: f64,
    /// An AC pile's voltage outside this range raises `voltage` (medium).
    pub ac_voltage_min_v: f64,
    pub ac_voltage_max_v: f64,
    /// A DC pile's own range.
    pub dc_voltage_min_v: f64,
    pub dc_voltage_max_v: f64,
    /// A charger not heard from for this long raises `offline` (high).
    pub offline_after_s: u64,
    /// Raw samples are kept this many days; older ones live on as hourly rollups.
    pub retention_days: u32,
    /// How often the retention job runs.
    pub retention_interval_s: u64,
    /// A pile's live status stays in the cache (`pile:status:{code}`) this long after its last
    /// report.
    pub live_ttl_s: u64,
    /// Where each alarm is POSTed as JSON; empty: nowhere.
    pub webhook_url: String,
    /// Signs each webhook body (`X-Csms-Signature: sha256=<hex HMAC-SHA256>`).
    pub webhook_secret: String,
}

impl fmt::Debug for MonitoringSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitoringSettings")
            .field("temperature_max_c", &self.temperature_max_c)
            .field("temperature_hysteresis_c", &self.temperature_hysteresis_c)
            .field("ac_voltage", &(self.ac_voltage_min_v, self.ac_voltage_max_v))
            .field("dc_voltage", &(self.dc_voltage_min_v, self.dc_voltage_max_v))
            .field("offline_after_s", &self.offline_after_s)
            .field("retention_days", &self.retention_days)
            .field("retention_interval_s", &self.retention_interval_s)
            .field("live_ttl_s", &self.live_ttl_s)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &redact(&self.webhook_secret))
            .finish()
    }
}

/// Text settings read from the environment exactly as given.
pub(super) const TEXT_VARIABLES: [(&str, &str); 2] = [
    ("CSMS__MONITORING__WEBHOOK_URL", "monitoring.webhook_url"),
    ("CSMS__MONITORING__WEBHOOK_SECRET", "monitoring.webhook_secret"),
];
