//! The payment providers csms speaks to — the adapters of the payments domain's
//! `PaymentProvider` port — one folder each (`wechat/`, `alipay/`, `unionpay/`: gateway,
//! signing, notification reader and answer, refunds, settings and keys, sandbox), and **the one
//! list** of them, `ALL`: the domain and the API (through `METHODS` and the `PaymentProvider`s
//! built from it), the store, the metrics, the configuration (each provider's section and text
//! variables), startup and the sandbox router ask it, and nothing else names a provider to decide
//! what to do. What they share: `http` (calls, the call log, forms), `keys` (reading and
//! making keys), `signing` (RSA keys, SHA256withRSA) and, with the `sandbox` feature, `sandbox`
//! (the payer's page, refund scripts). `balance` is a method of the domain, not a provider.

pub mod alipay;
pub mod http;
pub mod keys;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod settings_load;
pub mod signing;
pub mod unionpay;
pub mod wechat;

use crate::config::{PaymentSettings, ProviderMode, ProviderSettings, ReadSection};
use crate::domain::payments::PaymentProvider;
use crate::domain::payments::calls::CallLog;
use crate::domain::payments::gateway::GatewayError;
use crate::domain::payments::records::{Method, Methods, ProviderName};
use keys::ProviderSetupError;
use std::sync::Arc;

/// Every provider csms knows, in the order they are shown. Adding one is a folder and a line here.
pub const ALL: [Entry; 3] = [wechat::ENTRY, alipay::ENTRY, unionpay::ENTRY];

/// The methods csms knows — the balance and every provider in `ALL` — as the domain, the API,
/// the store and the metrics are told them.
pub const METHODS: Methods = Methods::new(&NAMES);

/// `ALL`'s names, in its order.
const NAMES: [ProviderName; ALL.len()] = {
    let mut names = [ProviderName::new(""); ALL.len()];
    let mut i = 0;
    while i < ALL.len() {
        names[i] = ALL[i].name;
        i += 1;
    }
    names
};

/// A provider in the list: what csms asks of it before its keys are loaded.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Its name: the method's stored text, its `[payments.<name>]` and the notification route's
    /// `{provider}`.
    pub name: ProviderName,
    /// Reads its section, `[payments.<name>]`, as its settings' type (`config::read_section`):
    /// `Settings::load` reads every provider's at start.
    pub settings: ReadSection,
    /// Its settings the environment gives as text exactly as written: (variable, key).
    pub text_variables: &'static [(&'static str, &'static str)],
    /// Reads (live) or makes (sandbox) its keys.
    pub load: fn(&PaymentSettings) -> Result<Box<dyn Provider>, ProviderSetupError>,
}

impl Entry {
    /// Its name, as in `payments.<name>` and `/api/v1/payments/notify/<name>`.
    pub const fn name(&self) -> &'static str {
        self.name.as_str()
    }
}

/// A provider whose keys are loaded: it makes its gateway and, in the sandbox, its stand-in.
pub trait Provider: Send + Sync + std::fmt::Debug {
    fn method(&self) -> Method;
    fn mode(&self) -> ProviderMode;
    /// Its gateway, keeping its calls in `log`; `local` is csms's own HTTP address, where its
    /// sandbox answers.
    fn gateway(&self, local: &str, log: &CallLog) -> Result<Arc<dyn PaymentProvider>, GatewayError>;
    /// Its stand-in's routes, answering payers at `public_base`.
    #[cfg(feature = "sandbox")]
    fn sandbox(&self, public_base: &str) -> Result<axum::Router, crate::http_client::SetupError>;
}

/// Every provider's mode, by name.
pub fn modes(settings: &PaymentSettings) -> Vec<(&'static str, ProviderMode)> {
    ALL.iter().map(|entry| (entry.name(), settings.mode(entry.name()))).collect()
}

/// The section of the provider `name`, as its settings' type `T`.
pub(crate) fn section<T: ProviderSettings>(
    settings: &PaymentSettings,
    name: ProviderName,
) -> Result<&T, ProviderSetupError> {
    settings.section::<T>().ok_or(ProviderSetupError::NoSection(name.as_str()))
}

/// The providers that are on (mode `sandbox` or `live`), their keys loaded.
#[derive(Debug)]
pub struct Providers(Vec<Box<dyn Provider>>);

impl Providers {
    /// Loads every provider that is not `off`: a bad setting, or a `sandbox` in a build without
    /// the feature, stops csms at start naming the setting.
    pub fn load(settings: &PaymentSettings) -> Result<Self, ProviderSetupError> {
        let mut on = Vec::new();
        for entry in &ALL {
            match settings.mode(entry.name()) {
                ProviderMode::Off => continue,
                ProviderMode::Sandbox if !cfg!(feature = "sandbox") => {
                    return Err(ProviderSetupError::NoSandbox(format!("payments.{}.mode", entry.name())));
                }
                ProviderMode::Sandbox | ProviderMode::Live => on.push((entry.load)(settings)?),
            }
        }
        Ok(Providers(on))
    }

    /// The names of those in `mode`.
    pub fn named(&self, mode: ProviderMode) -> Vec<&'static str> {
        self.0.iter().filter(|p| p.mode() == mode).map(|p| p.method().as_str()).collect()
    }

    /// Their gateways, each keeping its calls in `log`: `local` is csms's own HTTP address, where
    /// sandboxes answer.
    pub fn gateways(&self, local: &str, log: &CallLog) -> Result<Vec<Arc<dyn PaymentProvider>>, GatewayError> {
        self.0.iter().map(|p| p.gateway(local, log)).collect()
    }

    /// The routes of every provider in sandbox mode (none for a live one), answering payers at
    /// `public_base` (csms's address as payers and providers reach it).
    #[cfg(feature = "sandbox")]
    pub fn sandbox_router(&self, public_base: &str) -> Result<axum::Router, crate::http_client::SetupError> {
        let mut routes = axum::Router::new();
        for provider in self.0.iter().filter(|p| p.mode() == ProviderMode::Sandbox) {
            routes = routes.merge(provider.sandbox(public_base)?);
        }
        Ok(routes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_has_a_lowercase_name_of_its_own_that_is_not_the_balance() {
        for (i, entry) in ALL.iter().enumerate() {
            // Its section's key, its environment variables' (`__` splits them) and a URL's path.
            let name = entry.name();
            let fits = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
            assert!(!name.is_empty() && name.bytes().all(fits) && !name.contains("__"), "{name:?}");
            assert_ne!(name, Method::BALANCE);
            assert!(ALL[..i].iter().all(|other| other.name() != name), "{name} twice");
            assert_eq!(METHODS.parse(name), Some(Method::Provider(entry.name)));
        }
        assert_eq!(METHODS.providers().len(), ALL.len());
    }

    #[cfg(feature = "sandbox")]
    #[test]
    fn every_provider_is_a_sandbox_by_default_and_no_key_is_printed() {
        let mut settings = crate::config::Settings::defaults().expect("the embedded defaults");
        let p = &mut settings.payments;
        assert_eq!(p.section::<wechat::WechatSettings>().map(|s| s.mode), Some(ProviderMode::Sandbox));
        assert_eq!(p.section::<alipay::AlipaySettings>().map(|s| s.mode), Some(ProviderMode::Sandbox));
        assert_eq!(p.section::<unionpay::UnionPaySettings>().map(|s| s.mode), Some(ProviderMode::Sandbox));
        let wechat = p.section_mut::<wechat::WechatSettings>().expect("wechat");
        wechat.merchant_private_key = "-----BEGIN PRIVATE KEY-----K3Y-W1TH-N0-N4ME".into();
        wechat.api_v3_key = "0123456789abcdef0123456789ABCDEF".into();
        p.section_mut::<alipay::AlipaySettings>().expect("alipay").app_private_key = "MIIEK3Y-W1TH-N0-N4ME".into();
        p.section_mut::<unionpay::UnionPaySettings>().expect("unionpay").sign_private_key =
            "/etc/csms/K3Y-W1TH-N0-N4ME.pem".into();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("K3Y-W1TH-N0-N4ME") && !printed.contains("0123456789abcdef"), "{printed}");
    }

    #[cfg(not(feature = "sandbox"))]
    #[test]
    fn every_provider_is_off_by_default_in_a_build_without_the_sandbox_feature() {
        let settings = crate::config::Settings::defaults().expect("the embedded defaults");
        let p = &settings.payments;
        assert_eq!(p.section::<wechat::WechatSettings>().map(|s| s.mode), Some(ProviderMode::Off));
        assert_eq!(p.section::<alipay::AlipaySettings>().map(|s| s.mode), Some(ProviderMode::Off));
        assert_eq!(p.section::<unionpay::UnionPaySettings>().map(|s| s.mode), Some(ProviderMode::Off));
    }

    #[test]
    // figment's own Jail closure type, not ours to shrink.
    #[allow(clippy::result_large_err)]
    fn a_providers_section_is_read_from_the_environment_and_its_text_stays_as_written() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CSMS__PAYMENTS__WECHAT__MCHID", "1230000109");
            jail.set_env("CSMS__PAYMENTS__UNIONPAY__MER_ID", "0777290058110048");
            jail.set_env("CSMS__PAYMENTS__ALIPAY__MODE", "off");
            let s = crate::config::Settings::load(&jail.directory().join("config")).map_err(|e| e.to_string())?;
            assert_eq!(s.payments.section::<wechat::WechatSettings>().map(|w| w.mchid.as_str()), Some("1230000109"));
            let unionpay = s.payments.section::<unionpay::UnionPaySettings>();
            assert_eq!(unionpay.map(|u| u.mer_id.as_str()), Some("0777290058110048"));
            assert_eq!(s.payments.mode("alipay"), ProviderMode::Off);
            Ok(())
        });
    }

    #[test]
    fn the_methods_are_listed_as_a_sentence_says_them() {
        assert_eq!(METHODS.listed(true), "balance, wechat, alipay or unionpay");
        assert_eq!(METHODS.listed(false), "wechat, alipay or unionpay");
    }
}
