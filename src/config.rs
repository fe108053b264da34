//! Typed settings, layered: the embedded `config/default.toml`, then `config/*.toml`, then
//! `CSMS__SECTION__KEY` environment variables (and `DATABASE_URL`, `REDIS_URL`). Secrets are
//! never printed: `Debug` hides them.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

mod audit;
mod cluster;
mod monitoring;
mod mqtt;
mod orders;
mod payments;
mod reservations;

pub use audit::AuditSettings;
pub use cluster::ClusterSettings;
pub use monitoring::MonitoringSettings;
pub use mqtt::MqttSettings;
pub use orders::OrderSettings;
pub use payments::{
    PaymentSettings, ProviderMode, ProviderSections, ProviderSettings, ReadSection, SectionEntry, read_section,
};
pub use reservations::{MembershipSettings, ReservationSettings};

const DEFAULTS: &str = include_str!("../config/default.toml");

/// Every setting of csms; see `config/default.toml` for what each means.
#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    pub ocpp: OcppSettings,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub api: ApiSettings,
    pub auth: AuthSettings,
    pub chargers: ChargerSettings,
    pub orders: OrderSettings,
    pub reservations: ReservationSettings,
    pub membership: MembershipSettings,
    pub sms: SmsSettings,
    pub real_name: RealNameSettings,
    pub payments: PaymentSettings,
    pub monitoring: MonitoringSettings,
    pub audit: AuditSettings,
    pub cluster: ClusterSettings,
    pub mqtt: MqttSettings,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OcppSettings {
    pub listen: SocketAddr,
    pub versions: Vec<String>,
    pub max_frame_bytes: usize,
    pub call_timeout_s: u64,
    pub max_queued_calls: usize,
    pub idle_timeout_s: u64,
    pub ping_interval_s: u64,
    pub max_invalid_frames_per_minute: u32,
    pub liveness_flush_s: u64,
    pub message_log: LogMode,
    /// Chargers connected at once; start-up lowers it to what the open-files limit leaves room for.
    pub max_connections: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct HttpSettings {
    pub listen: SocketAddr,
    /// Sockets the HTTP API keeps open at once (apps, dashboards, automation, probes); more are
    /// answered 503 as they are accepted. Reserved out of the open-files limit before chargers.
    pub max_connections: usize,
    /// Where drivers reach csms (`https://charge.example.com`): the piles' QR codes point under
    /// it. Empty: `http://` and the listen address (the loopback for an unspecified one).
    #[serde(default)]
    pub public_base_url: String,
}

#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Clone, Deserialize)]
pub struct RedisSettings {
    pub url: String,
    pub key_prefix: String,
}

#[derive(Clone, Deserialize)]
pub struct ApiSettings {
    pub operator_token: String,
}

#[derive(Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub sms_resend_interval_s: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ChargerSettings {
    pub auto_register: bool,
    pub heartbeat_interval_s: u32,
    pub boot_retry_interval_s: u32,
    /// A connected charger not heard from for this long counts as offline in queries.
    pub offline_after_s: u64,
}

/// How sign-in codes go out (`[sms]`).
#[derive(Clone, Deserialize)]
pub struct SmsSettings {
    pub sender: SmsSenderKind,
    /// The gateway's URL; `{phone}` in it is replaced by the number, percent-encoded.
    pub url: String,
    /// Sent as `Authorization: Bearer …` when not empty.
    pub bearer_token: String,
    pub timeout_ms: u64,
}

/// `sms.sender`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsSenderKind {
    /// Logs each text (development, the demo).
    Console,
    /// POSTs each text to `sms.url`.
    Http,
}

/// Who checks a real name beyond the local check (`[real_name]`).
#[derive(Clone, Deserialize)]
pub struct RealNameSettings {
    pub verifier: RealNameVerifierKind,
    pub url: String,
    pub bearer_token: String,
    pub timeout_ms: u64,
}

/// `real_name.verifier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RealNameVerifierKind {
    /// The local check alone.
    Local,
    /// The local check, then the provider at `real_name.url`.
    Http,
}

impl SmsSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }
}

impl RealNameSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }
}

/// Settings that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("settings: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("ocpp.versions: {0:?} is not ocpp1.6 or ocpp2.0.1")]
    UnknownVersion(String),
}

/// Environment variables of text settings, in order of precedence (last wins).
const TEXT_VARIABLES: [(&str, &str); 14] = [
    ("CSMS__DATABASE__URL", "database.url"),
    ("CSMS__REDIS__URL", "redis.url"),
    ("CSMS__API__OPERATOR_TOKEN", "api.operator_token"),
    ("CSMS__AUTH__JWT_SECRET", "auth.jwt_secret"),
    ("CSMS__SMS__URL", "sms.url"),
    ("CSMS__SMS__BEARER_TOKEN", "sms.bearer_token"),
    ("CSMS__REAL_NAME__URL", "real_name.url"),
    ("CSMS__REAL_NAME__BEARER_TOKEN", "real_name.bearer_token"),
    ("CSMS__MQTT__URL", "mqtt.url"),
    ("CSMS__MQTT__USERNAME", "mqtt.username"),
    ("CSMS__MQTT__PASSWORD", "mqtt.password"),
    ("CSMS__MQTT__CLIENT_ID", "mqtt.client_id"),
    ("DATABASE_URL", "database.url"),
    ("REDIS_URL", "redis.url"),
];

impl Settings {
    /// Reads the layers from `config_dir` (usually `./config`, which need not exist) and the
    /// process environment, each provider's section as `providers` read them (`Settings::load`
    /// hands over the providers' list).
    pub fn load_with(config_dir: &Path, providers: &[SectionEntry]) -> Result<Self, ConfigError> {
        let mut figment = payments::build_defaults(Figment::from(Toml::string(DEFAULTS)), providers);
        if let Ok(entries) = std::fs::read_dir(config_dir) {
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml") && !p.ends_with("default.toml"))
                .collect();
            files.sort();
            for file in files {
                figment = figment.merge(Toml::file(file));
            }
        }
        figment = figment.merge(Env::prefixed("CSMS__").split("__").lowercase(true));
        // Text settings are taken exactly as written: figment reads an environment value that
        // looks like a number as one (a token `0123` would become 123, or fail as "not a string").
        for (variable, key) in
            TEXT_VARIABLES.into_iter().chain(payments::text_variables(providers)).chain(monitoring::TEXT_VARIABLES)
        {
            if let Ok(value) = std::env::var(variable) {
                figment = figment.merge(Serialized::default(key, value));
            }
        }
        let mut settings: Settings = figment.extract().map_err(Box::new)?;
        settings.payments.providers = payments::sections(&figment, providers)?;
        for version in &settings.ocpp.versions {
            if protocol::OcppVersion::from_subprotocol(version).is_none() {
                return Err(ConfigError::UnknownVersion(version.clone()));
            }
        }
        Ok(settings)
    }

    /// The embedded defaults alone, each provider's section as `providers` read them.
    pub fn defaults_with(providers: &[SectionEntry]) -> Result<Self, ConfigError> {
        let figment = payments::build_defaults(Figment::from(Toml::string(DEFAULTS)), providers);
        let mut settings: Settings = figment.extract().map_err(Box::new)?;
        settings.payments.providers = payments::sections(&figment, providers)?;
        Ok(settings)
    }
}

impl OcppSettings {
    /// The offered versions, most preferred first.
    pub fn preference(&self) -> Vec<protocol::OcppVersion> {
        self.versions.iter().filter_map(|v| protocol::OcppVersion::from_subprotocol(v)).collect()
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::from_secs(self.call_timeout_s)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_s)
    }

    pub fn liveness_flush(&self) -> Duration {
        Duration::from_secs(self.liveness_flush_s.max(1))
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_s.max(1))
    }
}

pub(crate) fn redact(secret: &str) -> &'static str {
    if secret.is_empty() { "(unset)" } else { "(set)" }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: show the scheme only.
        let scheme = self.url.split(':').next().unwrap_or_default();
        f.debug_struct("DatabaseSettings")
            .field("url", &format!("{scheme}:…"))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSettings").field("url", &redact(&self.url)).finish()
    }
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &redact(&self.jwt_secret))
            .field("sms_resend_interval_s", &self.sms_resend_interval_s)
            .finish()
    }
}

impl fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiSettings").field("operator_token", &redact(&self.operator_token)).finish()
    }
}

/// A URL as it may be printed: without its query, which may carry a key.
fn without_query(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_owned(),
    }
}

impl fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsSettings")
            .field("sender", &self.sender)
            .field("url", &without_query(&self.url))
            .field("bearer_token", &redact(&self.bearer_token))
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl fmt::Debug for RealNameSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealNameSettings")
            .field("verifier", &self.verifier)
            .field("url", &without_query(&self.url))
            .field("bearer_token", &redact(&self.bearer_token))
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Which frames are logged (`ocpp.message_log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogMode {
    /// None.
    Off,
    /// Invalid frames, CALLERRORs both ways, and every CSMS→charger call with its answer.
    Errors,
    /// Every frame.
    All,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_parse() {
        let s = Settings::defaults().unwrap();
        assert_eq!(s.ocpp.listen.port(), 9000);
        assert_eq!(s.http.listen.port(), 8080);
        assert!(!s.chargers.auto_register);
        assert_eq!(s.ocpp.preference().len(), 2);
        assert_eq!(s.ocpp.max_connections, 10_000);
        assert_eq!((s.sms.sender, s.real_name.verifier), (SmsSenderKind::Console, RealNameVerifierKind::Local));
    }

    #[test]
    // figment's own Jail closure type, not ours to shrink.
    #[allow(clippy::result_large_err)]
    fn environment_variables_override_the_files_and_a_numeric_token_stays_as_written() {
        figment::Jail::expect_with(|jail| {
            jail.create_dir("config")?;
            jail.create_file("config/site.toml", "[chargers]\nauto_register = true\nheartbeat_interval_s = 120\n")?;
            jail.set_env("CSMS__CHARGERS__HEARTBEAT_INTERVAL_S", "90");
            jail.set_env("CSMS__OCPP__LISTEN", "127.0.0.1:0");
            jail.set_env("CSMS__API__OPERATOR_TOKEN", "0123456");
            jail.set_env("DATABASE_URL", "postgres://db/csms");
            jail.set_env("CSMS__OCPP__MAX_CONNECTIONS", "20000");
            let s = Settings::load(&jail.directory().join("config")).map_err(|e| e.to_string())?;
            assert!(s.chargers.auto_register);
            assert_eq!(s.chargers.heartbeat_interval_s, 90);
            assert_eq!(s.ocpp.listen.port(), 0);
            assert_eq!(s.api.operator_token, "0123456");
            assert_eq!(s.database.url, "postgres://db/csms");
            assert_eq!(s.ocpp.max_connections, 20_000);
            Ok(())
        });
    }

    #[test]
    fn secrets_are_not_printed() {
        let mut s = Settings::defaults().unwrap();
        s.api.operator_token = "hunter2".into();
        s.database.url = "postgres://csms:hunter2@db/csms".into();
        s.sms.bearer_token = "hunter2".into();
        s.sms.url = "https://sms.example/send?key=hunter2".into();
        s.real_name.bearer_token = "hunter2".into();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }
}
