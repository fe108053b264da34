//! `[payments]`: where the providers call back, and per provider whether csms talks to the real
//! one (`live`), to the stand-in it serves itself (`sandbox`, the default of a build with the
//! `sandbox` feature) or to none (`off`), with the merchant's identifiers and keys — each
//! provider's own settings in a file of their own here (`payments/<name>.rs`); its adapters are in
//! its folder, `src/providers/<name>/`.

mod alipay;
mod unionpay;
mod wechat;

pub use alipay::AlipaySettings;
use serde::Deserialize;
pub use unionpay::UnionPaySettings;
pub use wechat::WechatSettings;

/// `[payments]`.
#[derive(Clone, Debug, Deserialize)]
pub struct PaymentSettings {
    /// The public base URL providers call back (`…/api/v1/payments/notify/{provider}` is
    /// added); empty: csms's own HTTP listener.
    pub notify_base_url: String,
    /// A provider payment left unpaid this long is closed at the provider.
    pub close_after_minutes: u64,
    /// How often payments whose notification has not come are asked after at the provider.
    pub reconcile_interval_s: u64,
    /// The first wait before a refund is sent again, or asked after again while its provider has
    /// it under way; it doubles each time, up to an hour.
    pub refund_retry_s: u64,
    pub wechat: WechatSettings,
    pub alipay: AlipaySettings,
    pub unionpay: UnionPaySettings,
}

/// `payments.notify_base_url`, read from the environment as text.
const NOTIFY_TEXT: [(&str, &str); 1] = [("CSMS__PAYMENTS__NOTIFY_BASE_URL", "payments.notify_base_url")];

/// The payment settings the environment gives as text exactly as written: `notify_base_url`
/// and each provider's identifiers and keys.
pub(crate) fn text_variables() -> impl Iterator<Item = (&'static str, &'static str)> {
    NOTIFY_TEXT.into_iter().chain(wechat::TEXT_VARIABLES).chain(alipay::TEXT_VARIABLES).chain(unionpay::TEXT_VARIABLES)
}

/// The modes this build starts from, laid over config/default.toml's: `off` for every provider
/// in a build without the `sandbox` feature (the file says `sandbox`, the default of a full build).
pub(crate) fn build_defaults(figment: figment::Figment) -> figment::Figment {
    if cfg!(feature = "sandbox") {
        return figment;
    }
    ["wechat", "alipay", "unionpay"].into_iter().fold(figment, |figment, name| {
        figment.merge(figment::providers::Serialized::default(&format!("payments.{name}.mode"), "off"))
    })
}

/// `payments.<provider>.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderMode {
    /// csms's own stand-in at `/sandbox/<provider>/…`, with keys made at start where none are set
    /// (the default; refused at start by a build without the `sandbox` feature).
    Sandbox,
    /// Not offered: the method is unavailable (the default of a build without the `sandbox`
    /// feature).
    Off,
    /// The provider itself: every identifier and key must be set, or csms does not start.
    Live,
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[cfg(feature = "sandbox")]
    #[test]
    fn every_provider_is_a_sandbox_by_default_and_no_key_is_printed() {
        let mut settings = Settings::defaults().expect("the embedded defaults");
        let p = &settings.payments;
        assert_eq!(p.wechat.mode, super::ProviderMode::Sandbox);
        assert_eq!(p.alipay.mode, super::ProviderMode::Sandbox);
        assert_eq!(p.unionpay.mode, super::ProviderMode::Sandbox);
        settings.payments.wechat.merchant_private_key = "-----BEGIN PRIVATE KEY-----K3Y-W1TH-N0-N4ME".into();
        settings.payments.wechat.api_v3_key = "0123456789abcdef0123456789ABCDEF".into();
        settings.payments.alipay.app_private_key = "MIIEK3Y-W1TH-N0-N4ME".into();
        settings.payments.unionpay.sign_private_key = "/etc/csms/K3Y-W1TH-N0-N4ME.pem".into();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("K3Y-W1TH-N0-N4ME") && !printed.contains("0123456789abcdef"), "{printed}");
    }

    #[cfg(not(feature = "sandbox"))]
    #[test]
    fn every_provider_is_off_by_default_in_a_build_without_the_sandbox_feature() {
        let settings = Settings::defaults().expect("the embedded defaults");
        let p = &settings.payments;
        assert_eq!(p.wechat.mode, super::ProviderMode::Off);
        assert_eq!(p.alipay.mode, super::ProviderMode::Off);
        assert_eq!(p.unionpay.mode, super::ProviderMode::Off);
    }
}
