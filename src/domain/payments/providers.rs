//! Each provider's identifiers and keys, as csms holds them once started: read from the settings
//! for a live provider (each one required, each key checked, so a bad configuration stops csms at
//! start naming the setting), or for a sandbox taken from the settings where set and otherwise
//! made up — keys generated once per process — together with the provider's side that the
//! sandbox plays (its private key, the merchant's public key).

use super::signing::{KeyError, PrivateKey, PublicKey};
use crate::config::{PaymentSettings, ProviderMode};
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
}

/// One side's key pair as a provider relationship needs it: who signs, and who checks.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The signer's key (the merchant's for requests; the provider's, in the sandbox, for answers).
    pub private: Option<PrivateKey>,
    /// What checks the signer.
    pub public: PublicKey,
}

/// WeChat Pay, as configured.
#[derive(Debug, Clone)]
pub struct WechatKeys {
    pub mode: ProviderMode,
    pub base_url: String,
    pub mchid: String,
    pub appid: String,
    pub merchant_serial: String,
    /// The merchant's key (always with its private half).
    pub merchant: Pair,
    pub api_v3_key: String,
    pub platform_serial: String,
    /// WeChat's platform key; its private half only in the sandbox.
    pub platform: Pair,
}

/// Alipay, as configured.
#[derive(Debug, Clone)]
pub struct AlipayKeys {
    pub mode: ProviderMode,
    pub base_url: String,
    pub app_id: String,
    pub app: Pair,
    /// Alipay's key; its private half only in the sandbox.
    pub alipay: Pair,
}

/// UnionPay, as configured.
#[derive(Debug, Clone)]
pub struct UnionPayKeys {
    pub mode: ProviderMode,
    pub base_url: String,
    pub mer_id: String,
    pub sign_cert_id: String,
    pub merchant: Pair,
    /// UnionPay's verification key; its private half only in the sandbox.
    pub unionpay: Pair,
}

/// Every provider's keys.
#[derive(Debug, Clone)]
pub struct ProviderKeys {
    pub wechat: WechatKeys,
    pub alipay: AlipayKeys,
    pub unionpay: UnionPayKeys,
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

/// Keys made for sandboxes, each once per process and only when a sandbox needs it: a 2048-bit
/// key takes a while to make.
static MADE: [OnceLock<Result<PrivateKey, KeyError>>; 6] = [const { OnceLock::new() }; 6];

fn made(slot: usize, what: &'static str) -> Result<PrivateKey, ProviderSetupError> {
    let key = MADE.get(slot).ok_or(ProviderSetupError::Generate(what))?.get_or_init(PrivateKey::generate);
    key.clone().map_err(|_| ProviderSetupError::Generate(what))
}

/// The text of a setting: required when live.
fn text<'a>(
    mode: ProviderMode,
    name: &'static str,
    value: &'a str,
    sandbox: &'a str,
) -> Result<String, ProviderSetupError> {
    match (mode, value.trim()) {
        (_, value) if !value.is_empty() => Ok(value.to_owned()),
        (ProviderMode::Live, _) => Err(ProviderSetupError::Missing(name)),
        (ProviderMode::Sandbox, _) => Ok(sandbox.to_owned()),
    }
}

/// The merchant's own key: configured (required when live) or, in a sandbox, made up.
fn own(mode: ProviderMode, name: &'static str, value: &str, slot: usize) -> Result<Pair, ProviderSetupError> {
    let key = match (mode, value.trim()) {
        (_, value) if !value.is_empty() => {
            PrivateKey::read(name, value).map_err(|e| ProviderSetupError::Key(name, e))?
        }
        (ProviderMode::Live, _) => return Err(ProviderSetupError::Missing(name)),
        (ProviderMode::Sandbox, _) => made(slot, name)?,
    };
    Ok(Pair { public: key.public(), private: Some(key) })
}

/// The provider's key: its public half configured when live; in a sandbox, made up whole (the
/// sandbox signs with it), a configured public key then being ignored.
fn theirs(mode: ProviderMode, name: &'static str, value: &str, slot: usize) -> Result<Pair, ProviderSetupError> {
    match mode {
        ProviderMode::Live if value.trim().is_empty() => Err(ProviderSetupError::Missing(name)),
        ProviderMode::Live => {
            let public = PublicKey::read(name, value).map_err(|e| ProviderSetupError::Key(name, e))?;
            Ok(Pair { private: None, public })
        }
        ProviderMode::Sandbox => {
            let key = made(slot, name)?;
            Ok(Pair { public: key.public(), private: Some(key) })
        }
    }
}

impl ProviderKeys {
    /// Reads (live) or makes (sandbox) every provider's keys.
    pub fn load(settings: &PaymentSettings) -> Result<Self, ProviderSetupError> {
        let w = &settings.wechat;
        let api_v3_key = text(w.mode, "payments.wechat.api_v3_key", &w.api_v3_key, "csms-sandbox-apiv3-key-32-chars!")?;
        if api_v3_key.len() != 32 {
            return Err(ProviderSetupError::ApiV3Key);
        }
        let wechat = WechatKeys {
            mode: w.mode,
            base_url: w.base_url.trim().to_owned(),
            mchid: text(w.mode, "payments.wechat.mchid", &w.mchid, "1900000001")?,
            appid: text(w.mode, "payments.wechat.appid", &w.appid, "wxcsmssandbox00001")?,
            merchant_serial: text(
                w.mode,
                "payments.wechat.merchant_serial",
                &w.merchant_serial,
                "CSMS-SANDBOX-MERCHANT",
            )?,
            merchant: own(w.mode, "payments.wechat.merchant_private_key", &w.merchant_private_key, 0)?,
            api_v3_key,
            platform_serial: text(
                w.mode,
                "payments.wechat.platform_serial",
                &w.platform_serial,
                "PUB_KEY_ID_CSMS_SANDBOX",
            )?,
            platform: theirs(w.mode, "payments.wechat.platform_public_key", &w.platform_public_key, 1)?,
        };
        let a = &settings.alipay;
        let alipay = AlipayKeys {
            mode: a.mode,
            base_url: a.base_url.trim().to_owned(),
            app_id: text(a.mode, "payments.alipay.app_id", &a.app_id, "2021000000000000")?,
            app: own(a.mode, "payments.alipay.app_private_key", &a.app_private_key, 2)?,
            alipay: theirs(a.mode, "payments.alipay.alipay_public_key", &a.alipay_public_key, 3)?,
        };
        let u = &settings.unionpay;
        let unionpay = UnionPayKeys {
            mode: u.mode,
            base_url: u.base_url.trim().to_owned(),
            mer_id: text(u.mode, "payments.unionpay.mer_id", &u.mer_id, "777290058110048")?,
            sign_cert_id: text(u.mode, "payments.unionpay.sign_cert_id", &u.sign_cert_id, "69629715588")?,
            merchant: own(u.mode, "payments.unionpay.sign_private_key", &u.sign_private_key, 4)?,
            unionpay: theirs(u.mode, "payments.unionpay.verify_public_key", &u.verify_public_key, 5)?,
        };
        Ok(ProviderKeys { wechat, alipay, unionpay })
    }
}

#[cfg(test)]
mod tests {
    use super::super::signing::test_keys::{MERCHANT_KEY, PROVIDER_PUB};
    use super::*;
    use crate::config::Settings;

    fn settings() -> PaymentSettings {
        Settings::defaults().expect("the embedded defaults").payments
    }

    #[test]
    fn providers_call_back_the_configured_base_or_the_listener() {
        let listener: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(public_base("", listener), "http://127.0.0.1:8080");
        assert_eq!(public_base("", "[::]:8080".parse().unwrap()), "http://[::1]:8080");
        assert_eq!(public_base("", "10.0.0.5:80".parse().unwrap()), "http://10.0.0.5:80");
        assert_eq!(public_base("https://csms.example.com/", listener), "https://csms.example.com");
    }

    #[test]
    fn sandboxes_need_nothing_configured_and_hold_both_sides_keys() {
        let keys = ProviderKeys::load(&settings()).unwrap();
        let w = &keys.wechat;
        assert!(w.merchant.private.is_some() && w.platform.private.is_some());
        let signature = w.platform.private.as_ref().unwrap().sign(b"notification");
        assert!(w.platform.public.verify(b"notification", &signature));
        assert_ne!(w.platform.public, w.merchant.public, "each side has its own key");
        assert_eq!(w.api_v3_key.len(), 32);
        assert_ne!(keys.alipay.app.public, keys.unionpay.merchant.public);
    }

    #[test]
    fn a_live_provider_refuses_to_start_naming_what_is_missing_or_unreadable() {
        let mut s = settings();
        s.wechat.mode = ProviderMode::Live;
        assert_eq!(ProviderKeys::load(&s).unwrap_err(), ProviderSetupError::Missing("payments.wechat.api_v3_key"));
        s.wechat.api_v3_key = "too short".into();
        assert_eq!(ProviderKeys::load(&s).unwrap_err(), ProviderSetupError::ApiV3Key);
        s.wechat.api_v3_key = "0123456789abcdef0123456789ABCDEF".into();
        assert_eq!(ProviderKeys::load(&s).unwrap_err(), ProviderSetupError::Missing("payments.wechat.mchid"));
        (s.wechat.mchid, s.wechat.appid, s.wechat.merchant_serial) =
            ("1230000109".into(), "wx1".into(), "5157F09E".into());
        s.wechat.merchant_private_key = "/no/such/key.pem".into();
        assert!(matches!(
            ProviderKeys::load(&s).unwrap_err(),
            ProviderSetupError::Key("payments.wechat.merchant_private_key", _)
        ));
        s.wechat.merchant_private_key = MERCHANT_KEY.into();
        assert_eq!(ProviderKeys::load(&s).unwrap_err(), ProviderSetupError::Missing("payments.wechat.platform_serial"));
        s.wechat.platform_serial = "PUB_KEY_ID_1".into();
        assert_eq!(
            ProviderKeys::load(&s).unwrap_err(),
            ProviderSetupError::Missing("payments.wechat.platform_public_key")
        );
        s.wechat.platform_public_key = PROVIDER_PUB.into();
        let keys = ProviderKeys::load(&s).unwrap();
        assert!(keys.wechat.platform.private.is_none(), "live: WeChat's private key is WeChat's");
    }
}
