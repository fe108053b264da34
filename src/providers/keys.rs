//! What every provider's keys share, as csms holds them once started: read from the settings
//! for a live provider (each one required, each key checked, so a bad configuration stops csms at
//! start naming the setting), or for a sandbox taken from the settings where set and otherwise
//! made up — keys generated once per process — together with the provider's side that the
//! sandbox plays (its private key, the merchant's public key). Each provider's folder holds its
//! own `keys.rs`, built with these.

use super::signing::{KeyError, PrivateKey, PublicKey};
use crate::config::ProviderMode;
use std::sync::OnceLock;

/// Why the payment settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderSetupError {
    #[error("{0} is not set: a live provider needs it")]
    Missing(&'static str),
    /// The setting, and why its key cannot be read (which names the setting).
    #[error("{1}")]
    Key(&'static str, KeyError),
    #[error("payments.wechat.api_v3_key must be 32 characters")]
    ApiV3Key,
    #[error("{0}: a sandbox key could not be made")]
    Generate(&'static str),
    /// A sandbox asked of a build that has none.
    #[error(
        "{0} = \"sandbox\", but this build has no sandbox (cargo feature `sandbox`): set it to \"off\" or \"live\""
    )]
    NoSandbox(String),
    /// Settings that were not read by `Settings::load` (which reads every provider's section).
    #[error("payments.{0}: its section was not read")]
    NoSection(&'static str),
}

/// One side's key pair as a provider relationship needs it: who signs, and who checks.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The signer's key (the merchant's for requests; the provider's, in the sandbox, for answers).
    pub private: Option<PrivateKey>,
    /// What checks the signer.
    pub public: PublicKey,
}

/// The base URL providers and payers reach csms at: `payments.notify_base_url`, or csms's HTTP
/// listener (an unspecified address as the loopback one).
pub fn public_base(configured: &str, http: std::net::SocketAddr) -> String {
    let configured = configured.trim().trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let ip = match http.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, http.port()))
}

/// A key made for a sandbox: once per process, and only when a sandbox needs it (a 2048-bit key
/// takes a while to make).
pub(crate) type Made = OnceLock<Result<PrivateKey, KeyError>>;

// Unit tests read sandbox keys in either build (they never start a sandbox).
#[cfg(any(test, feature = "sandbox"))]
fn made(slot: &'static Made, what: &'static str) -> Result<PrivateKey, ProviderSetupError> {
    slot.get_or_init(PrivateKey::generate).clone().map_err(|_| ProviderSetupError::Generate(what))
}

/// Without the sandbox feature no key is made (a sandbox is refused before: see `providers::load`).
#[cfg(not(any(test, feature = "sandbox")))]
fn made(_slot: &'static Made, what: &'static str) -> Result<PrivateKey, ProviderSetupError> {
    Err(ProviderSetupError::NoSandbox(what.to_owned()))
}

/// The text of a setting: required when live.
pub(crate) fn text<'a>(
    mode: ProviderMode,
    name: &'static str,
    value: &'a str,
    sandbox: &'a str,
) -> Result<String, ProviderSetupError> {
    match (mode, value.trim()) {
        (_, value) if !value.is_empty() => Ok(value.to_owned()),
        (ProviderMode::Live, _) => Err(ProviderSetupError::Missing(name)),
        (ProviderMode::Sandbox | ProviderMode::Off, _) => Ok(sandbox.to_owned()),
    }
}

/// The merchant's own key: configured (required when live) or, in a sandbox, made up.
pub(crate) fn own(
    mode: ProviderMode,
    name: &'static str,
    value: &str,
    slot: &'static Made,
) -> Result<Pair, ProviderSetupError> {
    let key = match (mode, value.trim()) {
        (_, value) if !value.is_empty() => {
            PrivateKey::read(name, value).map_err(|e| ProviderSetupError::Key(name, e))?
        }
        (ProviderMode::Live, _) => return Err(ProviderSetupError::Missing(name)),
        (ProviderMode::Sandbox | ProviderMode::Off, _) => made(slot, name)?,
    };
    Ok(Pair { public: key.public(), private: Some(key) })
}

/// The provider's key: its public half configured when live; in a sandbox, made up whole (the
/// sandbox signs with it), a configured public key then being ignored.
pub(crate) fn theirs(
    mode: ProviderMode,
    name: &'static str,
    value: &str,
    slot: &'static Made,
) -> Result<Pair, ProviderSetupError> {
    match mode {
        ProviderMode::Live if value.trim().is_empty() => Err(ProviderSetupError::Missing(name)),
        ProviderMode::Live => {
            let public = PublicKey::read(name, value).map_err(|e| ProviderSetupError::Key(name, e))?;
            Ok(Pair { private: None, public })
        }
        ProviderMode::Sandbox | ProviderMode::Off => {
            let key = made(slot, name)?;
            Ok(Pair { public: key.public(), private: Some(key) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_call_back_the_configured_base_or_the_listener() {
        let listener: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(public_base("", listener), "http://127.0.0.1:8080");
        assert_eq!(public_base("", "[::]:8080".parse().unwrap()), "http://[::1]:8080");
        assert_eq!(public_base("", "10.0.0.5:80".parse().unwrap()), "http://10.0.0.5:80");
        assert_eq!(public_base("https://csms.example.com/", listener), "https://csms.example.com");
    }
}
