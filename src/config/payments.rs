//! `[payments]`: where the providers call back, and per provider whether csms talks to the real
//! one (`live`) or to the stand-in it serves itself (`sandbox`, the default), with the merchant's
//! identifiers and keys. Keys are PEM text, bare base64 DER, or the path of a file holding either.

use super::redact;
use serde::Deserialize;
use std::fmt;

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

/// `payments.<provider>.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderMode {
    /// csms's own stand-in at `/sandbox/<provider>/…`, with keys made at start where none are set.
    Sandbox,
    /// The provider itself: every identifier and key must be set, or csms does not start.
    Live,
}

/// `[payments.wechat]`: WeChat Pay API v3.
#[derive(Clone, Deserialize)]
pub struct WechatSettings {
    pub mode: ProviderMode,
    /// Empty: `https://api.mch.weixin.qq.com` live, csms's `/sandbox/wechat` in the sandbox.
    pub base_url: String,
    pub mchid: String,
    pub appid: String,
    /// The serial number of the merchant's API certificate.
    pub merchant_serial: String,
    pub merchant_private_key: String,
    /// The APIv3 key (32 characters) that seals notifications' resources.
    pub api_v3_key: String,
    /// The serial of WeChat's platform key (a certificate serial, or `PUB_KEY_ID_…`).
    pub platform_serial: String,
    pub platform_public_key: String,
}

/// `[payments.alipay]`: the Alipay open API.
#[derive(Clone, Deserialize)]
pub struct AlipaySettings {
    pub mode: ProviderMode,
    /// Empty: `https://openapi.alipay.com/gateway.do` live, csms's `/sandbox/alipay/gateway.do`
    /// in the sandbox.
    pub base_url: String,
    pub app_id: String,
    pub app_private_key: String,
    pub alipay_public_key: String,
}

/// `[payments.unionpay]`: UnionPay online payments, version 5.1.0.
#[derive(Clone, Deserialize)]
pub struct UnionPaySettings {
    pub mode: ProviderMode,
    /// Empty: `https://gateway.95516.com` live, csms's `/sandbox/unionpay` in the sandbox.
    pub base_url: String,
    pub mer_id: String,
    /// The serial of the merchant's signing certificate, sent as `certId`.
    pub sign_cert_id: String,
    pub sign_private_key: String,
    /// UnionPay's key that signs its answers and notifications.
    pub verify_public_key: String,
}

/// Environment variables of payment settings read as text exactly as written (a merchant id
/// like `1230000109` must not become a number).
pub(crate) const TEXT_VARIABLES: [(&str, &str); 18] = [
    ("CSMS__PAYMENTS__NOTIFY_BASE_URL", "payments.notify_base_url"),
    ("CSMS__PAYMENTS__WECHAT__BASE_URL", "payments.wechat.base_url"),
    ("CSMS__PAYMENTS__WECHAT__MCHID", "payments.wechat.mchid"),
    ("CSMS__PAYMENTS__WECHAT__APPID", "payments.wechat.appid"),
    ("CSMS__PAYMENTS__WECHAT__MERCHANT_SERIAL", "payments.wechat.merchant_serial"),
    ("CSMS__PAYMENTS__WECHAT__MERCHANT_PRIVATE_KEY", "payments.wechat.merchant_private_key"),
    ("CSMS__PAYMENTS__WECHAT__API_V3_KEY", "payments.wechat.api_v3_key"),
    ("CSMS__PAYMENTS__WECHAT__PLATFORM_SERIAL", "payments.wechat.platform_serial"),
    ("CSMS__PAYMENTS__WECHAT__PLATFORM_PUBLIC_KEY", "payments.wechat.platform_public_key"),
    ("CSMS__PAYMENTS__ALIPAY__BASE_URL", "payments.alipay.base_url"),
    ("CSMS__PAYMENTS__ALIPAY__APP_ID", "payments.alipay.app_id"),
    ("CSMS__PAYMENTS__ALIPAY__APP_PRIVATE_KEY", "payments.alipay.app_private_key"),
    ("CSMS__PAYMENTS__ALIPAY__ALIPAY_PUBLIC_KEY", "payments.alipay.alipay_public_key"),
    ("CSMS__PAYMENTS__UNIONPAY__BASE_URL", "payments.unionpay.base_url"),
    ("CSMS__PAYMENTS__UNIONPAY__MER_ID", "payments.unionpay.mer_id"),
    ("CSMS__PAYMENTS__UNIONPAY__SIGN_CERT_ID", "payments.unionpay.sign_cert_id"),
    ("CSMS__PAYMENTS__UNIONPAY__SIGN_PRIVATE_KEY", "payments.unionpay.sign_private_key"),
    ("CSMS__PAYMENTS__UNIONPAY__VERIFY_PUBLIC_KEY", "payments.unionpay.verify_public_key"),
];

// Private keys and the APIv3 key are never printed; public keys and identifiers are.
impl fmt::Debug for WechatSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatSettings")
            .field("mode", &self.mode)
            .field("base_url", &self.base_url)
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("merchant_serial", &self.merchant_serial)
            .field("merchant_private_key", &redact(&self.merchant_private_key))
            .field("api_v3_key", &redact(&self.api_v3_key))
            .field("platform_serial", &self.platform_serial)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for AlipaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlipaySettings")
            .field("mode", &self.mode)
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("app_private_key", &redact(&self.app_private_key))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for UnionPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnionPaySettings")
            .field("mode", &self.mode)
            .field("base_url", &self.base_url)
            .field("mer_id", &self.mer_id)
            .field("sign_cert_id", &self.sign_cert_id)
            .field("sign_private_key", &redact(&self.sign_private_key))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

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
}
